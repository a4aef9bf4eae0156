using KafkaMl.Web.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;

namespace KafkaMl.Tests.Apis;

/// <summary>The APIs over HTTP: routes, status codes, camelCase JSON and problem+json answers.</summary>
public sealed class ApiEndpointsSpecs : IAsyncLifetime
{
    private readonly string dataDir = Path.Combine(Path.GetTempPath(), "kafkaml-tests", Guid.NewGuid().ToString("N"), "not-yet-there");
    private WebApplication app = null!;
    private HttpClient client = null!;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        builder.Configuration["KafkaMl:DataDir"] = dataDir;
        builder.AddKafkaMlData();
        // Model create/update validate scripts: compile here, build in the real model-check child process.
        builder.Services.AddKafkaMlModelValidation();
        builder.Services.Configure<KafkaMl.Core.Scripting.ModelScriptCheckerOptions>(o => o.ExecutablePath = KafkaMlProcess.WebDllPath);
        builder.Services.AddKafkaMlUseCases();
        builder.Services.AddProblemDetails();
        app = builder.Build();
        app.MapKafkaMlApi();
        await app.StartAsync();
        client = app.GetTestClient();
    }

    public async Task DisposeAsync()
    {
        client.Dispose();
        await app.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(Path.GetDirectoryName(dataDir)!, recursive: true);
    }

    [Fact]
    public void Starting_the_host_creates_the_data_directory_and_the_migrated_database()
    {
        Assert.True(File.Exists(Path.Combine(dataDir, KafkaMlDataExtensions.DatabaseFileName)));
    }

    [Fact]
    public async Task Posting_a_model_answers_201_with_a_location_and_camel_case_fields()
    {
        var response = await client.PostAsJsonAsync("/api/models", new { name = "mlp", description = "d", code = Builders.SampleCode });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        var id = body.GetProperty("id").GetInt32();
        Assert.Equal($"/api/models/{id}", response.Headers.Location?.OriginalString);
        Assert.Equal(["id", "name", "description", "code", "createdAt", "updatedAt"], body.EnumerateObject().Select(p => p.Name));

        var fetched = await client.GetFromJsonAsync<JsonElement>($"/api/models/{id}");
        Assert.Equal("mlp", fetched.GetProperty("name").GetString());
        var list = await client.GetFromJsonAsync<JsonElement>("/api/models");
        Assert.Equal(1, list.GetArrayLength());
    }

    [Fact]
    public async Task An_unknown_model_answers_404_as_problem_json()
    {
        var response = await client.GetAsync("/api/models/999");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(404, problem.GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task An_invalid_model_answers_400_as_problem_json_with_field_errors()
    {
        var response = await client.PostAsJsonAsync("/api/models", new { name = " ", code = "" });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var errors = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
        Assert.Equal(["code", "name"], errors.EnumerateObject().Select(p => p.Name).Order());
    }

    [Fact]
    public async Task Configurations_carry_model_ids_and_protect_their_models_from_deletion()
    {
        var model = await (await client.PostAsJsonAsync("/api/models", new { name = "m", code = "Linear(3, 2)" }))
            .Content.ReadFromJsonAsync<JsonElement>();
        var modelId = model.GetProperty("id").GetInt32();

        var created = await client.PostAsJsonAsync("/api/configurations", new { name = "c", description = "", modelIds = new[] { modelId } });
        var configuration = await created.Content.ReadFromJsonAsync<JsonElement>();
        var deleted = await client.DeleteAsync($"/api/models/{modelId}");

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal([modelId], configuration.GetProperty("modelIds").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(HttpStatusCode.Conflict, deleted.StatusCode);
        Assert.Equal("application/problem+json", deleted.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/api/models/{modelId}")).StatusCode);
    }

    [Fact]
    public async Task Deleting_answers_204()
    {
        var model = await (await client.PostAsJsonAsync("/api/models", new { name = "gone", code = "Linear(3, 2)" }))
            .Content.ReadFromJsonAsync<JsonElement>();

        var response = await client.DeleteAsync($"/api/models/{model.GetProperty("id").GetInt32()}");

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }
}
