using System.Net.Http.Headers;
using KafkaMl.Core.Orchestration;
using KafkaMl.Tests.PyTorch;
using static KafkaMl.Tests.Support.InferenceTestData;

namespace KafkaMl.Tests.Apis;

/// <summary>The import over HTTP in a portal with the real model-check child process, through to deploying the result for inference.</summary>
[Collection(OrchestrationPortalCollection.Name)]
public sealed class ResultImportHttpSpecs(OrchestrationPortalFactory portal)
{
    private readonly HttpClient http = portal.CreateClient();

    private async Task<int> CreateModelAsync()
    {
        using var response = await http.PostAsJsonAsync("/api/models", Builders.AModelRequest(code: PyTorchFixtures.Expected.Script), Json);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonElement>(Json)).GetProperty("id").GetInt32();
    }

    private async Task<HttpResponseMessage> ImportAsync(int modelId, string fileName, byte[] weights)
    {
        using var form = new MultipartFormDataContent
        {
            { new StringContent(modelId.ToString(System.Globalization.CultureInfo.InvariantCulture)), ResultImportFields.ModelId },
            { new StringContent("RAW"), ResultImportFields.InputFormat },
            { new StringContent("{\"data_type\": \"float32\"}"), ResultImportFields.InputConfig },
        };
        var file = new ByteArrayContent(weights);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        form.Add(file, ResultImportFields.Weights, fileName);
        return await http.PostAsync("/api/results/import", form);
    }

    [Fact]
    public async Task An_imported_pt_state_dict_is_a_finished_result_that_deploys_for_inference()
    {
        var modelId = await CreateModelAsync();

        using var imported = await ImportAsync(modelId, "mlp.pt", PyTorchFixtures.StateDict);

        Assert.True(imported.StatusCode == HttpStatusCode.Created, await imported.Content.ReadAsStringAsync());
        var result = await imported.Content.ReadFromJsonAsync<JsonElement>(Json);
        Assert.Equal("finished", result.GetProperty("status").GetString());
        Assert.Equal("pytorch", result.GetProperty("imported").GetProperty("format").GetString());
        var inference = await http.CreateAsync(ARequest(result.GetProperty("id").GetInt32()));
        var started = await portal.Runner.WaitForStartAsync(JobSpec.InferenceName(inference.Id), Eventually.Patience);
        Assert.Equal(JobKind.Inference, started.Kind);
        Assert.Equal("RAW", inference.InputFormat);
    }

    [Fact]
    public async Task A_pickle_carrying_os_system_answers_400_problem_json_naming_it()
    {
        var modelId = await CreateModelAsync();
        var marker = Path.Combine(Path.GetTempPath(), $"kafkaml-http-import-ran-{Guid.NewGuid():N}");

        using var refused = await ImportAsync(modelId, "evil.pt", PyTorchFixtures.OsSystemPickle($"touch {marker}"));

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        var problem = await refused.Content.ReadFromJsonAsync<JsonElement>(Json);
        Assert.Contains("'posix.system'", problem.GetProperty("errors").GetProperty("weights")[0].GetString());
        Assert.False(File.Exists(marker));
    }
}
