using Microsoft.AspNetCore.Mvc.Testing;

namespace KafkaMl.Tests.Support;

/// <summary>Results to deploy for inference, seeded straight into a portal's database, and requests about them.</summary>
public static class InferenceTestData
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>The trained weights the seeded results "have" (the portal only serves the file).</summary>
    public static readonly byte[] Weights = "torchsharp-weights-of-a-3-feature-model"u8.ToArray();

    /// <summary>
    /// A result of a 3-feature model trained on a RAW stream (<c>data_reshape "3"</c>, standardised), in
    /// <paramref name="status"/>; finished ones have their weights file. Returns its id.
    /// </summary>
    public static async Task<int> SeedResultAsync<T>(this WebApplicationFactory<T> portal, string dataDir, TrainingStatus status = TrainingStatus.Finished)
        where T : class
    {
        using var scope = portal.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<KafkaMlDbContext>();
        var model = Builders.AModel();
        var configuration = new Configuration { Name = Builders.UniqueName("inference-configuration"), Models = { model } };
        db.Configurations.Add(configuration);
        await db.SaveChangesAsync();
        var deployment = Builders.ADeployment(configuration.Id, model.Id);
        db.Deployments.Add(deployment);
        await db.SaveChangesAsync();
        var result = deployment.Results.Single();
        result.Status = status;
        result.StatusChanged = DateTimeOffset.UtcNow;
        result.ModelCode = model.Code;
        result.DataTopic = "hcopd:0:0:120";
        result.InputFormat = "RAW";
        result.InputConfig = """{"data_type":"float32","label_type":"float32","data_reshape":"3","label_reshape":""}""";
        if (status == TrainingStatus.Finished)
        {
            result.Scaler = """{"mean":[1,2,3],"std":[1,1,1]}""";
            result.WeightsPath = $"results/{result.Id}/model.dat";
            Directory.CreateDirectory(Path.Combine(dataDir, "results", result.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            await File.WriteAllBytesAsync(Path.Combine(dataDir, result.WeightsPath), Weights);
        }
        await db.SaveChangesAsync();
        return result.Id;
    }

    /// <summary>A valid create request for <paramref name="resultId"/> with fresh topics (of <paramref name="partitions"/> when given).</summary>
    public static object ARequest(int resultId, int replicas = 1, int? partitions = null)
    {
        var id = Guid.NewGuid().ToString("N")[..8];
        return new { resultId, replicas, inputTopic = $"in-{id}", outputTopic = $"out-{id}", partitions };
    }

    /// <summary>Creates an inference over HTTP (asserting 201) and returns it.</summary>
    public static async Task<InferenceResponse> CreateAsync(this HttpClient http, object request)
    {
        using var response = await http.PostAsJsonAsync("/api/inferences", request, Json);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Created, $"POST /api/inferences answered {(int)response.StatusCode}: {text}");
        return JsonSerializer.Deserialize<InferenceResponse>(text, Json)!;
    }

    /// <summary>A replica's report; holding <paramref name="partitions"/> when given (none reported otherwise).</summary>
    public static InferenceStatsReport AStatsReport(string replica, long messagesOut = 5, int[]? partitions = null) =>
        new(replica, messagesOut, messagesOut, 0, 0, 1.5, 4.0, [new RecentPrediction(0, 7, [0.1f, 0.9f], 1, DateTimeOffset.UtcNow)]) { Partitions = partitions };
}
