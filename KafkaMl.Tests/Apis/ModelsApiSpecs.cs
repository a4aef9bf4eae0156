using System.Text.Json;
using KafkaMl.Core.Domain;
using KafkaMl.Core.Scripting;
using KafkaMl.Tests.Jobs;
using KafkaMl.Tests.Scripting;
using KafkaMl.Web.Apis;
using KafkaMl.Web.Services;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using static KafkaMl.Tests.Support.Builders;

namespace KafkaMl.Tests.Apis;

public sealed class ModelsApiSpecs : IDisposable
{
    /// <summary>Shared so its cache spares the tests recompiling the same scripts.</summary>
    private static readonly ModelScriptCompiler Compiler = new();

    private readonly TestDatabase database = new();
    private readonly CancellationToken ct = CancellationToken.None;
    private readonly StubBuildChecker buildChecker = new();
    private readonly ModelValidator validator;

    public ModelsApiSpecs() => validator = new ModelValidator(Compiler, buildChecker);

    public void Dispose() => database.Dispose();

    /// <summary>The service the handlers call, over contexts like <paramref name="db"/>.</summary>
    private ModelService Models(KafkaMl.Web.Data.KafkaMlDbContext db) => new(new ContextsLike(db), validator);

    private ModelService Models() => new(new TestContexts(database), validator);

    [Fact]
    public async Task Creating_a_model_answers_201_with_its_location_and_stores_it()
    {
        await using var db = database.CreateContext();
        var request = AModelRequest(name: "mlp", description: "three layers");

        var result = await ModelsApi.CreateModel(request, Models(db), ct);

        var created = Assert.IsType<Created<ModelResponse>>(result.Result);
        var model = created.Value!;
        Assert.Equal($"/api/models/{model.Id}", created.Location);
        Assert.Equal(("mlp", "three layers", SampleCode), (model.Name, model.Description, model.Code));
        Assert.Equal(model.CreatedAt, model.UpdatedAt);
        await using var check = database.CreateContext();
        Assert.Equal("mlp", (await check.Models.SingleAsync(m => m.Id == model.Id)).Name);
    }

    [Fact]
    public async Task Creating_a_model_stores_the_code_exactly_as_given_and_trims_the_name()
    {
        await using var db = database.CreateContext();
        const string code = "  // comment\n  Linear(3, 2)\n";

        var result = await ModelsApi.CreateModel(AModelRequest(name: "  padded  ", code: code), Models(db), ct);

        var model = Assert.IsType<Created<ModelResponse>>(result.Result).Value!;
        Assert.Equal("padded", model.Name);
        Assert.Equal(code, model.Code);
    }

    [Fact]
    public async Task Creating_a_model_without_description_stores_an_empty_one()
    {
        await using var db = database.CreateContext();

        var result = await ModelsApi.CreateModel(AModelRequest(description: null), Models(db), ct);

        Assert.Equal("", Assert.IsType<Created<ModelResponse>>(result.Result).Value!.Description);
    }

    [Fact]
    public async Task Listing_models_returns_every_model_in_id_order()
    {
        var first = await database.SeedModelAsync();
        var second = await database.SeedModelAsync();
        await using var db = database.CreateContext();

        var result = await ModelsApi.ListModels(Models(db), ct);

        Assert.Equal([first.Id, second.Id], result.Value!.Select(m => m.Id));
        Assert.Equal([first.Name, second.Name], result.Value!.Select(m => m.Name));
    }

    [Fact]
    public async Task Listing_models_of_an_empty_database_returns_an_empty_list()
    {
        await using var db = database.CreateContext();

        var result = await ModelsApi.ListModels(Models(db), ct);

        Assert.Empty(result.Value!);
    }

    [Fact]
    public async Task Getting_a_model_returns_all_its_fields()
    {
        var seeded = await database.SeedModelAsync();
        await using var db = database.CreateContext();

        var result = await ModelsApi.GetModel(seeded.Id, Models(db), ct);

        var model = Assert.IsType<Ok<ModelResponse>>(result.Result).Value!;
        Assert.Equal(ModelResponse.From(seeded), model);
    }

    [Fact]
    public async Task Getting_an_unknown_model_answers_404_problem_details()
    {
        await using var db = database.CreateContext();

        var result = await ModelsApi.GetModel(42, Models(db), ct);

        var notFound = Assert.IsType<NotFound<ProblemDetails>>(result.Result);
        Assert.Equal(StatusCodes.Status404NotFound, notFound.Value!.Status);
        Assert.Contains("42", notFound.Value.Detail);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public async Task Creating_a_model_without_a_name_answers_400_on_name(string? name)
    {
        await using var db = database.CreateContext();

        var result = await ModelsApi.CreateModel(new ModelRequest(name, "d", SampleCode), Models(db), ct);

        ApiAssert.ValidationProblem(result.Result, "name");
        Assert.Equal(0, await db.Models.CountAsync());
    }

    [Fact]
    public async Task Creating_a_model_with_a_name_over_100_characters_answers_400_on_name()
    {
        await using var db = database.CreateContext();

        var result = await ModelsApi.CreateModel(AModelRequest(name: new string('m', 101)), Models(db), ct);

        ApiAssert.ValidationProblem(result.Result, "name");
    }

    [Fact]
    public async Task Creating_a_model_with_a_name_of_exactly_100_characters_succeeds()
    {
        await using var db = database.CreateContext();

        var result = await ModelsApi.CreateModel(AModelRequest(name: new string('m', 100)), Models(db), ct);

        Assert.IsType<Created<ModelResponse>>(result.Result);
    }

    [Fact]
    public async Task Creating_a_model_whose_name_differs_only_in_case_answers_400_on_name()
    {
        await database.SeedModelAsync("Classifier");
        await using var db = database.CreateContext();

        var result = await ModelsApi.CreateModel(AModelRequest(name: "cLASSIFIER"), Models(db), ct);

        var errors = ApiAssert.ValidationProblem(result.Result, "name");
        Assert.Contains("already exists", Assert.Single(errors));
        Assert.Equal(1, await db.Models.CountAsync());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData(" \n\t ")]
    public async Task Creating_a_model_without_code_answers_400_on_code(string? code)
    {
        await using var db = database.CreateContext();

        var result = await ModelsApi.CreateModel(AModelRequest(code: code), Models(db), ct);

        ApiAssert.ValidationProblem(result.Result, "code");
        Assert.Equal(0, await db.Models.CountAsync());
    }

    [Fact]
    public async Task Creating_a_model_with_several_problems_reports_each_field()
    {
        await using var db = database.CreateContext();

        var result = await ModelsApi.CreateModel(new ModelRequest(" ", null, ""), Models(db), ct);

        var problem = Assert.IsType<ValidationProblem>(result.Result);
        Assert.Equal(["code", "name"], problem.ProblemDetails.Errors.Keys.Order());
    }

    [Fact]
    public async Task Creating_a_model_that_loses_the_race_for_its_name_answers_400_on_name()
    {
        // Another writer inserts the same name (other case) after the check, before the insert:
        // the unique index refuses the second row and the handler answers like the check would have.
        await using var db = database.CreateContext(TestDatabase.BeforeSaving(() => database.SeedModelAsync("RACE")));

        var result = await ModelsApi.CreateModel(AModelRequest(name: "race"), Models(db), ct);

        ApiAssert.ValidationProblem(result.Result, "name");
        await using var check = database.CreateContext();
        Assert.Equal(["RACE"], await check.Models.Select(m => m.Name).ToListAsync());
    }

    [Fact]
    public async Task Updating_a_model_changes_its_fields_and_its_update_time()
    {
        var seeded = await database.SeedModelAsync();
        await using var db = database.CreateContext();

        var result = await ModelsApi.UpdateModel(seeded.Id, new ModelRequest("renamed", "new description", "Linear(3, 2)"), Models(db), ct);

        var model = Assert.IsType<Ok<ModelResponse>>(result.Result).Value!;
        Assert.Equal((seeded.Id, "renamed", "new description", "Linear(3, 2)"), (model.Id, model.Name, model.Description, model.Code));
        Assert.Equal(seeded.CreatedAt, model.CreatedAt);
        Assert.True(model.UpdatedAt > seeded.UpdatedAt);
        await using var check = database.CreateContext();
        Assert.Equal("renamed", (await check.Models.SingleAsync()).Name);
    }

    [Fact]
    public async Task Updating_a_model_may_keep_its_own_name_in_another_case()
    {
        var seeded = await database.SeedModelAsync("Classifier");
        await using var db = database.CreateContext();

        var result = await ModelsApi.UpdateModel(seeded.Id, AModelRequest(name: "CLASSIFIER"), Models(db), ct);

        Assert.Equal("CLASSIFIER", Assert.IsType<Ok<ModelResponse>>(result.Result).Value!.Name);
    }

    [Fact]
    public async Task Updating_a_model_to_another_models_name_answers_400_on_name_and_changes_nothing()
    {
        await database.SeedModelAsync("taken");
        var seeded = await database.SeedModelAsync("mine");
        await using var db = database.CreateContext();

        var result = await ModelsApi.UpdateModel(seeded.Id, AModelRequest(name: "Taken"), Models(db), ct);

        ApiAssert.ValidationProblem(result.Result, "name");
        await using var check = database.CreateContext();
        Assert.Equal("mine", (await check.Models.SingleAsync(m => m.Id == seeded.Id)).Name);
    }

    [Fact]
    public async Task Updating_a_model_with_empty_code_answers_400_on_code()
    {
        var seeded = await database.SeedModelAsync();
        await using var db = database.CreateContext();

        var result = await ModelsApi.UpdateModel(seeded.Id, AModelRequest(code: ""), Models(db), ct);

        ApiAssert.ValidationProblem(result.Result, "code");
    }

    [Fact]
    public async Task Updating_an_unknown_model_answers_404_problem_details()
    {
        await using var db = database.CreateContext();

        var result = await ModelsApi.UpdateModel(42, AModelRequest(), Models(db), ct);

        Assert.Equal(StatusCodes.Status404NotFound, Assert.IsType<NotFound<ProblemDetails>>(result.Result).Value!.Status);
    }

    [Fact]
    public async Task Deleting_a_model_answers_204_and_removes_it()
    {
        var seeded = await database.SeedModelAsync();
        await using var db = database.CreateContext();

        var result = await ModelsApi.DeleteModel(seeded.Id, Models(db), ct);

        Assert.IsType<NoContent>(result.Result);
        await using var check = database.CreateContext();
        Assert.False(await check.Models.AnyAsync());
    }

    [Fact]
    public async Task Deleting_an_unknown_model_answers_404_problem_details()
    {
        await using var db = database.CreateContext();

        var result = await ModelsApi.DeleteModel(42, Models(db), ct);

        Assert.IsType<NotFound<ProblemDetails>>(result.Result);
    }

    [Fact]
    public async Task Deleting_a_model_used_by_a_configuration_answers_409_naming_it_and_deletes_nothing()
    {
        var model = await database.SeedModelAsync();
        var configuration = await database.SeedConfigurationAsync(model.Id);
        await using var db = database.CreateContext();

        var result = await ModelsApi.DeleteModel(model.Id, Models(db), ct);

        var conflict = Assert.IsType<Conflict<ProblemDetails>>(result.Result);
        Assert.Equal(StatusCodes.Status409Conflict, conflict.Value!.Status);
        Assert.Contains(configuration.Name, conflict.Value.Detail);
        await using var check = database.CreateContext();
        Assert.True(await check.Models.AnyAsync(m => m.Id == model.Id));
        Assert.Equal([model.Id], (await check.Configurations.Include(c => c.Models).SingleAsync()).Models.Select(m => m.Id));
    }

    [Fact]
    public async Task Deleting_a_model_with_training_results_answers_409_and_deletes_nothing()
    {
        var model = await database.SeedModelAsync();
        var other = await database.SeedModelAsync();
        var configuration = await database.SeedConfigurationAsync(model.Id, other.Id);
        var deployment = await database.SeedDeploymentAsync(configuration.Id, model.Id, other.Id);
        await using (var unlink = database.CreateContext())
        {
            // The model left the configuration, but its results remain.
            var stored = await unlink.Configurations.Include(c => c.Models).SingleAsync();
            stored.Models.RemoveAll(m => m.Id == model.Id);
            await unlink.SaveChangesAsync();
        }
        await using var db = database.CreateContext();

        var result = await ModelsApi.DeleteModel(model.Id, Models(db), ct);

        var conflict = Assert.IsType<Conflict<ProblemDetails>>(result.Result);
        Assert.Contains(deployment.Id.ToString(), conflict.Value!.Detail);
        await using var check = database.CreateContext();
        Assert.True(await check.Models.AnyAsync(m => m.Id == model.Id));
    }

    [Fact]
    public async Task Deleting_a_model_put_in_use_after_the_checks_answers_409_and_deletes_nothing()
    {
        var model = await database.SeedModelAsync();
        await using var db = database.CreateContext(TestDatabase.BeforeSaving(() => database.SeedConfigurationAsync(model.Id)));

        var result = await ModelsApi.DeleteModel(model.Id, Models(db), ct);

        Assert.IsType<Conflict<ProblemDetails>>(result.Result);
        await using var check = database.CreateContext();
        Assert.True(await check.Models.AnyAsync(m => m.Id == model.Id));
    }

    [Fact]
    public async Task Creating_a_model_whose_script_does_not_compile_answers_400_on_code_with_line_and_column()
    {
        await using var db = database.CreateContext();

        var result = await ModelsApi.CreateModel(AModelRequest(code: ModelScripts.OnLineTwo("var x = ;")), Models(db), ct);

        var messages = ApiAssert.ValidationProblem(result.Result, "code");
        Assert.Matches(@"^line 2, column \d+: .+\(CS\d+\)$", messages[0]);
        var diagnostics = Assert.IsAssignableFrom<IEnumerable<ScriptDiagnostic>>(
            Assert.IsType<ValidationProblem>(result.Result).ProblemDetails.Extensions["diagnostics"]);
        Assert.Contains(diagnostics, d => d.Line == 2 && d.Severity == ScriptDiagnosticSeverity.Error);
        Assert.Equal(0, await db.Models.CountAsync());
        Assert.Equal(0, buildChecker.Calls); // not built when it does not even compile
    }

    [Fact]
    public async Task Creating_a_model_whose_script_leaves_the_sandbox_answers_400_on_code_naming_the_position()
    {
        await using var db = database.CreateContext();

        var result = await ModelsApi.CreateModel(
            AModelRequest(code: ModelScripts.OnLineTwo("""var secret = System.IO.File.ReadAllText("/etc/passwd");""")), Models(db), ct);

        var messages = ApiAssert.ValidationProblem(result.Result, "code");
        Assert.Contains(messages, m => m.StartsWith("line 2, column ", StringComparison.Ordinal) && m.Contains("KML1001"));
        Assert.Equal(0, await db.Models.CountAsync());
    }

    [Fact]
    public async Task Creating_a_model_whose_script_does_not_build_answers_400_on_code_with_the_build_error()
    {
        buildChecker.Report = ModelCheckReport.Failed(ModelCheckFailure.Build, "hidden size must be even");
        await using var db = database.CreateContext();

        var result = await ModelsApi.CreateModel(AModelRequest(), Models(db), ct);

        var messages = ApiAssert.ValidationProblem(result.Result, "code");
        Assert.Equal(["Building the model failed: hidden size must be even"], messages);
        Assert.Equal(0, await db.Models.CountAsync());
    }

    [Fact]
    public async Task Creating_a_model_with_a_bad_name_answers_without_building_the_script()
    {
        await using var db = database.CreateContext();

        await ModelsApi.CreateModel(AModelRequest(name: ""), Models(db), ct);

        Assert.Equal(0, buildChecker.Calls);
    }

    [Fact]
    public async Task Validating_the_same_script_twice_builds_it_once()
    {
        await using var db = database.CreateContext();

        await ModelsApi.CreateModel(AModelRequest(code: ModelScripts.MultiLineHcopdMlp), Models(db), ct);
        await ModelsApi.CreateModel(AModelRequest(code: ModelScripts.MultiLineHcopdMlp), Models(db), ct);

        Assert.Equal(1, buildChecker.Calls);
    }

    [Fact]
    public async Task Updating_a_model_without_changing_its_code_does_not_build_it_again()
    {
        var seeded = await database.SeedModelAsync();
        await using var db = database.CreateContext();

        var result = await ModelsApi.UpdateModel(seeded.Id, AModelRequest(name: "renamed", code: seeded.Code), Models(db), ct);

        Assert.IsType<Ok<ModelResponse>>(result.Result);
        Assert.Equal(0, buildChecker.Calls);
    }

    [Fact]
    public async Task Updating_a_model_with_code_that_does_not_compile_answers_400_and_keeps_the_old_code()
    {
        var seeded = await database.SeedModelAsync();
        await using var db = database.CreateContext();

        var result = await ModelsApi.UpdateModel(seeded.Id, AModelRequest(code: "Linear(3, 2);"), Models(db), ct);

        ApiAssert.ValidationProblem(result.Result, "code");
        await using var check = database.CreateContext();
        Assert.Equal(seeded.Code, (await check.Models.SingleAsync()).Code);
    }

    [Fact]
    public async Task Validating_a_script_answers_its_diagnostics_and_what_the_build_found()
    {
        buildChecker.Report = new ModelCheckReport { Ok = true, Parameters = 8, Layers = [new ModelLayer("fc", "Linear", 8)], OutputShape = [1, 2] };

        var result = await ModelsApi.ValidateModel(new ModelValidationRequest("Linear(3, 2)", JsonSerializer.SerializeToElement("3")), Models(), ct);

        var response = Assert.IsType<Ok<ModelValidationResponse>>(result.Result).Value!;
        Assert.True(response.Ok);
        Assert.Equal((8L, 1), (response.Parameters, response.Layers!.Count));
        Assert.Equal([3L], buildChecker.LastInputShape);
    }

    [Theory]
    [InlineData("\"0\"")]
    [InlineData("\"three\"")]
    [InlineData("[]")]
    [InlineData("[3, -1]")]
    [InlineData("{}")]
    public async Task Validating_with_a_bad_input_shape_answers_400_on_inputShape(string shape)
    {
        var result = await ModelsApi.ValidateModel(new ModelValidationRequest("Linear(3, 2)", JsonDocument.Parse(shape).RootElement), Models(), ct);

        ApiAssert.ValidationProblem(result.Result, "inputShape");
    }

    /// <summary>Stands in for the model-check child process (the real one: <see cref="Orchestration.OrchestrationPortalSpecs"/>).</summary>
    private sealed class StubBuildChecker : IModelBuildChecker
    {
        private int calls;

        public ModelCheckReport Report { get; set; } = new() { Ok = true, Parameters = 26 };

        public int Calls => calls;

        public IReadOnlyList<long>? LastInputShape { get; private set; }

        public Task<ModelCheckReport> CheckAsync(string code, IReadOnlyList<long>? inputShape, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref calls);
            LastInputShape = inputShape;
            return Task.FromResult(Report);
        }
    }
}
