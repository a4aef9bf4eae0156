using KafkaMl.Tests.Control;
using KafkaMl.Tests.Hosting;
using KafkaMl.Web.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Logging.Abstractions;
using static KafkaMl.Tests.Support.PortalControlTopic;

namespace KafkaMl.Tests.Apis;

/// <summary><c>GET /api/datasources</c> and <c>GET /api/datasources/{id}</c>, handlers called directly.</summary>
public sealed class DatasourcesApiSpecs : IDisposable
{
    private static readonly DateTimeOffset Noon = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);

    /// <summary>A broker nobody listens on: reading datasources never produces.</summary>
    private static readonly KafkaMl.Core.Streaming.KafkaEndpoint Nowhere = new("127.0.0.1:9", false, "KAFKA_ML_CONTROL_TOPIC");

    private readonly TestDatabase database = new();
    private readonly CancellationToken ct = CancellationToken.None;
    private readonly KafkaProducerHandle producer = new(Nowhere, NullLogger<KafkaProducerHandle>.Instance);

    public void Dispose()
    {
        producer.Dispose();
        database.Dispose();
    }

    /// <summary>The service the handlers call, over contexts like <paramref name="db"/>.</summary>
    private DatasourceService Datasources(KafkaMlDbContext db) =>
        new(new ContextsLike(db), producer, Nowhere, NullLogger<DatasourceService>.Instance);

    [Fact]
    public async Task Listing_datasources_returns_the_newest_first()
    {
        var older = await SeedDatasourceAsync(deploymentId: 1, time: Noon);
        var newer = await SeedDatasourceAsync(deploymentId: 2, time: Noon.AddMinutes(5));
        var oldest = await SeedDatasourceAsync(deploymentId: 1, time: Noon.AddMinutes(-5));
        await using var db = database.CreateContext();

        var result = await DatasourcesApi.ListDatasources(null, Datasources(db), ct);

        Assert.Equal([newer.Id, older.Id, oldest.Id], result.Value!.Select(d => d.Id));
    }

    [Fact]
    public async Task Listing_datasources_of_one_deployment_leaves_out_the_others()
    {
        var first = await SeedDatasourceAsync(deploymentId: 7, time: Noon);
        await SeedDatasourceAsync(deploymentId: 8, time: Noon);
        var second = await SeedDatasourceAsync(deploymentId: 7, time: Noon.AddSeconds(1));
        await using var db = database.CreateContext();

        var result = await DatasourcesApi.ListDatasources(7, Datasources(db), ct);

        Assert.Equal([second.Id, first.Id], result.Value!.Select(d => d.Id));
    }

    [Fact]
    public async Task Getting_a_datasource_returns_every_field_with_its_input_config_as_an_object()
    {
        var seeded = await SeedDatasourceAsync(deploymentId: 4, time: Noon);
        await using var db = database.CreateContext();

        var result = await DatasourcesApi.GetDatasource(seeded.Id, Datasources(db), ct);

        var datasource = Assert.IsType<Ok<DatasourceResponse>>(result.Result).Value!;
        Assert.Equal(
            (seeded.Id, 4, "data:0:0:120,data:1:0:119", "RAW", "COPD", 0.1, 0.2, 239L, Noon),
            (datasource.Id, datasource.DeploymentId, datasource.Topic, datasource.InputFormat, datasource.Description,
                datasource.ValidationRate, datasource.TestRate, datasource.TotalMsg, datasource.Time));
        Assert.True(JsonNode.DeepEquals(new JsonObject { ["data_type"] = "float32", ["label_type"] = "uint8" }, datasource.InputConfig));
    }

    [Fact]
    public async Task Getting_an_unknown_datasource_answers_404_problem_details()
    {
        await using var db = database.CreateContext();

        var result = await DatasourcesApi.GetDatasource(41, Datasources(db), ct);

        var notFound = Assert.IsType<NotFound<ProblemDetails>>(result.Result);
        Assert.Equal(StatusCodes.Status404NotFound, notFound.Value!.Status);
        Assert.Contains("41", notFound.Value.Detail);
    }

    [Fact]
    public async Task A_datasource_is_kept_when_its_deployment_is_deleted()
    {
        var model = await database.SeedModelAsync();
        var configuration = await database.SeedConfigurationAsync(model.Id);
        var deployment = await database.SeedDeploymentAsync(configuration.Id, model.Id);
        var seeded = await SeedDatasourceAsync(deployment.Id, Noon);
        await using (var delete = database.CreateContext())
        {
            delete.Deployments.Remove(await delete.Deployments.SingleAsync(d => d.Id == deployment.Id));
            await delete.SaveChangesAsync();
        }
        await using var db = database.CreateContext();

        var result = await DatasourcesApi.GetDatasource(seeded.Id, Datasources(db), ct);

        Assert.Equal(deployment.Id, Assert.IsType<Ok<DatasourceResponse>>(result.Result).Value!.DeploymentId);
    }

    private async Task<Datasource> SeedDatasourceAsync(int deploymentId, DateTimeOffset time)
    {
        await using var db = database.CreateContext();
        var datasource = new Datasource
        {
            DeploymentId = deploymentId,
            Topic = "data:0:0:120,data:1:0:119",
            InputFormat = "RAW",
            InputConfig = "{\"data_type\":\"float32\",\"label_type\":\"uint8\"}",
            Description = "COPD",
            ValidationRate = 0.1,
            TestRate = 0.2,
            TotalMsg = 239,
            Time = time,
        };
        db.Datasources.Add(datasource);
        await db.SaveChangesAsync();
        return datasource;
    }
}

/// <summary><c>/api/datasources</c> over HTTP in a running portal, with "send again" going through its broker and control logger.</summary>
[Collection(PortalCollection.Name)]
public sealed class DatasourcesResendApiSpecs(PortalFactory portal)
{
    private readonly HttpClient http = portal.CreateClient();

    [Fact]
    public async Task Sending_a_datasource_again_publishes_its_control_message_for_the_new_deployment_and_the_logger_stores_a_second_datasource()
    {
        var original = await LoggedDatasourceAsync();
        var deploymentId = await SeedDeploymentAsync();

        using var response = await http.PostAsJsonAsync($"/api/datasources/{original.Id}/resend", new { deploymentId });

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var sent = (await response.Content.ReadFromJsonAsync<ResendResponse>(JsonSerializerOptions.Web))!;
        Assert.Equal((original.Id, deploymentId, portal.Kafka().ControlTopic), (sent.DatasourceId, sent.DeploymentId, sent.ControlTopic));
        Assert.Equal(original.Topic, sent.Message["topic"]!.GetValue<string>());

        var record = portal.ReadControl(new Confluent.Kafka.TopicPartitionOffset(sent.ControlTopic, sent.Partition, sent.Offset));
        var received = ControlMessage.Read(record.Message.Key, record.Message.Value);
        Assert.Equal(deploymentId, received.DeploymentId);
        Assert.Equal(DeploymentKey.Encode(deploymentId), record.Message.Key);
        Assert.Equal(
            (original.Topic, "RAW", original.Description, original.ValidationRate, original.TestRate, (long?)original.TotalMsg),
            (received.Message.Topic, received.Message.InputFormat, received.Message.Description,
                received.Message.ValidationRate, received.Message.TestRate, received.Message.TotalMsg));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(original.InputConfig), received.Message.InputConfig.ToJsonObject()));

        var copy = await portal.WaitForDatasourceAsync(d => d.DeploymentId == deploymentId && d.Topic == original.Topic);
        Assert.NotEqual(original.Id, copy.Id);
        Assert.Equal((original.InputConfig, original.TotalMsg), (copy.InputConfig, copy.TotalMsg));
        Assert.Single(await portal.DatasourcesAsync(d => d.Id == original.Id));
    }

    [Fact]
    public async Task A_datasource_reads_as_camel_case_json_with_its_input_config_as_an_object()
    {
        var original = await LoggedDatasourceAsync();

        using var document = JsonDocument.Parse(await http.GetStringAsync($"/api/datasources/{original.Id}"));

        var json = document.RootElement;
        foreach (var name in new[] { "id", "deploymentId", "topic", "inputFormat", "inputConfig", "description", "validationRate", "testRate", "totalMsg", "time" })
            Assert.True(json.TryGetProperty(name, out _), $"no '{name}' in {json}");
        Assert.Equal(JsonValueKind.Object, json.GetProperty("inputConfig").ValueKind);
        Assert.Equal("float32", json.GetProperty("inputConfig").GetProperty("data_type").GetString());
    }

    [Fact]
    public async Task Listing_by_deployment_id_returns_the_datasources_the_logger_stored_for_it()
    {
        var original = await LoggedDatasourceAsync();

        var listed = await http.GetFromJsonAsync<List<DatasourceResponse>>($"/api/datasources?deploymentId={original.DeploymentId}", JsonSerializerOptions.Web);

        Assert.Equal([original.Id], listed!.Select(d => d.Id));
    }

    [Fact]
    public async Task Sending_an_unknown_datasource_again_answers_404_problem_details()
    {
        var deploymentId = await SeedDeploymentAsync();

        using var response = await http.PostAsJsonAsync("/api/datasources/987654/resend", new { deploymentId });

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("{\"deploymentId\": null}")]
    [InlineData("{\"deploymentId\": 0}")]
    [InlineData("{\"deploymentId\": -3}")]
    [InlineData("{\"deploymentId\": 2147483000}")] // no such deployment
    public async Task Sending_again_without_a_usable_deployment_id_answers_400_on_deploymentId_and_sends_nothing(string body)
    {
        var original = await LoggedDatasourceAsync();
        var before = portal.ControlHighWatermark();

        using var response = await http.PostAsync(
            $"/api/datasources/{original.Id}/resend", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.True(problem.RootElement.GetProperty("errors").TryGetProperty("deploymentId", out var messages), problem.RootElement.ToString());
        Assert.NotEmpty(messages.EnumerateArray());
        Assert.Equal(before, portal.ControlHighWatermark());
    }

    [Fact]
    public async Task Sending_again_without_a_body_answers_400_on_deploymentId()
    {
        var original = await LoggedDatasourceAsync();

        using var response = await http.PostAsync($"/api/datasources/{original.Id}/resend", new StringContent("", System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.True(problem.RootElement.GetProperty("errors").TryGetProperty("deploymentId", out _), problem.RootElement.ToString());
    }

    /// <summary>A datasource the portal's logger stored from a Kafka-ML-style control message for a fresh deployment id.</summary>
    private async Task<Datasource> LoggedDatasourceAsync()
    {
        var topic = UniqueTopic();
        var message = ControlMessageBuilder.KafkaMl()
            .With("topic", $"{topic}:0:0:120,{topic}:1:0:119")
            .With("description", "resend me")
            .With("validation_rate", 0.15)
            .With("test_rate", 0.05);
        await portal.ProduceControlAsync(DeploymentKey.Encode(UniqueDeploymentId()), message.Utf8());
        return await portal.WaitForDatasourceAsync(d => d.Topic.StartsWith(topic));
    }

    /// <summary>A deployment (of a fresh model and configuration) in the portal's database; returns its id.</summary>
    private async Task<int> SeedDeploymentAsync()
    {
        var contexts = portal.Services.GetRequiredService<IDbContextFactory<KafkaMlDbContext>>();
        await using var db = await contexts.CreateDbContextAsync();
        var model = Builders.AModel();
        var configuration = new Configuration { Name = Builders.UniqueName("configuration"), Description = "resend", Models = [model] };
        db.Configurations.Add(configuration);
        await db.SaveChangesAsync();
        var deployment = Builders.ADeployment(configuration.Id, model.Id);
        db.Deployments.Add(deployment);
        await db.SaveChangesAsync();
        return deployment.Id;
    }
}
