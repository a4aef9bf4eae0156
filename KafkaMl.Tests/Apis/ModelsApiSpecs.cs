using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using static KafkaMl.Tests.Support.Builders;

namespace KafkaMl.Tests.Apis;

/// <summary>Creating, reading, updating and deleting models, and the rules on their fields.</summary>
public sealed class ModelsApiSpecs : ModelsApiSpecBase
{
    [Fact]
    public async Task Creating_a_model_answers_201_with_its_location_and_stores_it()
    {
        await using var db = Database.CreateContext();
        var request = AModelRequest(name: "mlp", description: "three layers");

        var result = await ModelsApi.CreateModel(request, Models(db), Ct);

        var created = Assert.IsType<Created<ModelResponse>>(result.Result);
        var model = created.Value!;
        Assert.Equal($"/api/models/{model.Id}", created.Location);
        Assert.Equal(("mlp", "three layers", SampleCode), (model.Name, model.Description, model.Code));
        Assert.Equal(model.CreatedAt, model.UpdatedAt);
        await using var check = Database.CreateContext();
        Assert.Equal("mlp", (await check.Models.SingleAsync(m => m.Id == model.Id)).Name);
    }

    [Fact]
    public async Task Creating_a_model_stores_the_code_exactly_as_given_and_trims_the_name()
    {
        await using var db = Database.CreateContext();
        const string code = "  // comment\n  Linear(3, 2)\n";

        var result = await ModelsApi.CreateModel(AModelRequest(name: "  padded  ", code: code), Models(db), Ct);

        var model = Assert.IsType<Created<ModelResponse>>(result.Result).Value!;
        Assert.Equal("padded", model.Name);
        Assert.Equal(code, model.Code);
    }

    [Fact]
    public async Task Creating_a_model_without_description_stores_an_empty_one()
    {
        await using var db = Database.CreateContext();

        var result = await ModelsApi.CreateModel(AModelRequest(description: null), Models(db), Ct);

        Assert.Equal("", Assert.IsType<Created<ModelResponse>>(result.Result).Value!.Description);
    }

    [Fact]
    public async Task Listing_models_returns_every_model_in_id_order()
    {
        var first = await Database.SeedModelAsync();
        var second = await Database.SeedModelAsync();
        await using var db = Database.CreateContext();

        var result = await ModelsApi.ListModels(Models(db), Ct);

        Assert.Equal([first.Id, second.Id], result.Value!.Select(m => m.Id));
        Assert.Equal([first.Name, second.Name], result.Value!.Select(m => m.Name));
    }

    [Fact]
    public async Task Listing_models_of_an_empty_database_returns_an_empty_list()
    {
        await using var db = Database.CreateContext();

        var result = await ModelsApi.ListModels(Models(db), Ct);

        Assert.Empty(result.Value!);
    }

    [Fact]
    public async Task Getting_a_model_returns_all_its_fields()
    {
        var seeded = await Database.SeedModelAsync();
        await using var db = Database.CreateContext();

        var result = await ModelsApi.GetModel(seeded.Id, Models(db), Ct);

        var model = Assert.IsType<Ok<ModelResponse>>(result.Result).Value!;
        Assert.Equal(ModelResponse.From(seeded), model);
    }

    [Fact]
    public async Task Getting_an_unknown_model_answers_404_problem_details()
    {
        await using var db = Database.CreateContext();

        var result = await ModelsApi.GetModel(42, Models(db), Ct);

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
        await using var db = Database.CreateContext();

        var result = await ModelsApi.CreateModel(new ModelRequest(name, "d", SampleCode), Models(db), Ct);

        ApiAssert.ValidationProblem(result.Result, "name");
        Assert.Equal(0, await db.Models.CountAsync());
    }

    [Fact]
    public async Task Creating_a_model_with_a_name_over_100_characters_answers_400_on_name()
    {
        await using var db = Database.CreateContext();

        var result = await ModelsApi.CreateModel(AModelRequest(name: new string('m', 101)), Models(db), Ct);

        ApiAssert.ValidationProblem(result.Result, "name");
    }

    [Fact]
    public async Task Creating_a_model_with_a_name_of_exactly_100_characters_succeeds()
    {
        await using var db = Database.CreateContext();

        var result = await ModelsApi.CreateModel(AModelRequest(name: new string('m', 100)), Models(db), Ct);

        Assert.IsType<Created<ModelResponse>>(result.Result);
    }

    [Fact]
    public async Task Creating_a_model_whose_name_differs_only_in_case_answers_400_on_name()
    {
        await Database.SeedModelAsync("Classifier");
        await using var db = Database.CreateContext();

        var result = await ModelsApi.CreateModel(AModelRequest(name: "cLASSIFIER"), Models(db), Ct);

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
        await using var db = Database.CreateContext();

        var result = await ModelsApi.CreateModel(AModelRequest(code: code), Models(db), Ct);

        ApiAssert.ValidationProblem(result.Result, "code");
        Assert.Equal(0, await db.Models.CountAsync());
    }

    [Fact]
    public async Task Creating_a_model_with_several_problems_reports_each_field()
    {
        await using var db = Database.CreateContext();

        var result = await ModelsApi.CreateModel(new ModelRequest(" ", null, ""), Models(db), Ct);

        var problem = Assert.IsType<ValidationProblem>(result.Result);
        Assert.Equal(["code", "name"], problem.ProblemDetails.Errors.Keys.Order());
    }

    [Fact]
    public async Task Creating_a_model_that_loses_the_race_for_its_name_answers_400_on_name()
    {
        // Another writer inserts the same name (other case) after the check, before the insert:
        // the unique index refuses the second row and the handler answers like the check would have.
        await using var db = Database.CreateContext(TestDatabase.BeforeSaving(() => Database.SeedModelAsync("RACE")));

        var result = await ModelsApi.CreateModel(AModelRequest(name: "race"), Models(db), Ct);

        ApiAssert.ValidationProblem(result.Result, "name");
        await using var check = Database.CreateContext();
        Assert.Equal(["RACE"], await check.Models.Select(m => m.Name).ToListAsync());
    }

    [Fact]
    public async Task Updating_a_model_changes_its_fields_and_its_update_time()
    {
        var seeded = await Database.SeedModelAsync();
        await using var db = Database.CreateContext();

        var result = await ModelsApi.UpdateModel(seeded.Id, new ModelRequest("renamed", "new description", "Linear(3, 2)"), Models(db), Ct);

        var model = Assert.IsType<Ok<ModelResponse>>(result.Result).Value!;
        Assert.Equal((seeded.Id, "renamed", "new description", "Linear(3, 2)"), (model.Id, model.Name, model.Description, model.Code));
        Assert.Equal(seeded.CreatedAt, model.CreatedAt);
        Assert.True(model.UpdatedAt > seeded.UpdatedAt);
        await using var check = Database.CreateContext();
        Assert.Equal("renamed", (await check.Models.SingleAsync()).Name);
    }

    [Fact]
    public async Task Updating_a_model_may_keep_its_own_name_in_another_case()
    {
        var seeded = await Database.SeedModelAsync("Classifier");
        await using var db = Database.CreateContext();

        var result = await ModelsApi.UpdateModel(seeded.Id, AModelRequest(name: "CLASSIFIER"), Models(db), Ct);

        Assert.Equal("CLASSIFIER", Assert.IsType<Ok<ModelResponse>>(result.Result).Value!.Name);
    }

    [Fact]
    public async Task Updating_a_model_to_another_models_name_answers_400_on_name_and_changes_nothing()
    {
        await Database.SeedModelAsync("taken");
        var seeded = await Database.SeedModelAsync("mine");
        await using var db = Database.CreateContext();

        var result = await ModelsApi.UpdateModel(seeded.Id, AModelRequest(name: "Taken"), Models(db), Ct);

        ApiAssert.ValidationProblem(result.Result, "name");
        await using var check = Database.CreateContext();
        Assert.Equal("mine", (await check.Models.SingleAsync(m => m.Id == seeded.Id)).Name);
    }

    [Fact]
    public async Task Updating_a_model_with_empty_code_answers_400_on_code()
    {
        var seeded = await Database.SeedModelAsync();
        await using var db = Database.CreateContext();

        var result = await ModelsApi.UpdateModel(seeded.Id, AModelRequest(code: ""), Models(db), Ct);

        ApiAssert.ValidationProblem(result.Result, "code");
    }

    [Fact]
    public async Task Updating_an_unknown_model_answers_404_problem_details()
    {
        await using var db = Database.CreateContext();

        var result = await ModelsApi.UpdateModel(42, AModelRequest(), Models(db), Ct);

        Assert.Equal(StatusCodes.Status404NotFound, Assert.IsType<NotFound<ProblemDetails>>(result.Result).Value!.Status);
    }

    [Fact]
    public async Task Deleting_a_model_answers_204_and_removes_it()
    {
        var seeded = await Database.SeedModelAsync();
        await using var db = Database.CreateContext();

        var result = await ModelsApi.DeleteModel(seeded.Id, Models(db), Ct);

        Assert.IsType<NoContent>(result.Result);
        await using var check = Database.CreateContext();
        Assert.False(await check.Models.AnyAsync());
    }

    [Fact]
    public async Task Deleting_an_unknown_model_answers_404_problem_details()
    {
        await using var db = Database.CreateContext();

        var result = await ModelsApi.DeleteModel(42, Models(db), Ct);

        Assert.IsType<NotFound<ProblemDetails>>(result.Result);
    }

    [Fact]
    public async Task Deleting_a_model_used_by_a_configuration_answers_409_naming_it_and_deletes_nothing()
    {
        var model = await Database.SeedModelAsync();
        var configuration = await Database.SeedConfigurationAsync(model.Id);
        await using var db = Database.CreateContext();

        var result = await ModelsApi.DeleteModel(model.Id, Models(db), Ct);

        var conflict = Assert.IsType<Conflict<ProblemDetails>>(result.Result);
        Assert.Equal(StatusCodes.Status409Conflict, conflict.Value!.Status);
        Assert.Contains(configuration.Name, conflict.Value.Detail);
        await using var check = Database.CreateContext();
        Assert.True(await check.Models.AnyAsync(m => m.Id == model.Id));
        Assert.Equal([model.Id], (await check.Configurations.Include(c => c.Models).SingleAsync()).Models.Select(m => m.Id));
    }

    [Fact]
    public async Task Deleting_a_model_with_training_results_answers_409_and_deletes_nothing()
    {
        var model = await Database.SeedModelAsync();
        var other = await Database.SeedModelAsync();
        var configuration = await Database.SeedConfigurationAsync(model.Id, other.Id);
        var deployment = await Database.SeedDeploymentAsync(configuration.Id, model.Id, other.Id);
        await using (var unlink = Database.CreateContext())
        {
            // The model left the configuration, but its results remain.
            var stored = await unlink.Configurations.Include(c => c.Models).SingleAsync();
            stored.Models.RemoveAll(m => m.Id == model.Id);
            await unlink.SaveChangesAsync();
        }
        await using var db = Database.CreateContext();

        var result = await ModelsApi.DeleteModel(model.Id, Models(db), Ct);

        var conflict = Assert.IsType<Conflict<ProblemDetails>>(result.Result);
        Assert.Contains(deployment.Id.ToString(), conflict.Value!.Detail);
        await using var check = Database.CreateContext();
        Assert.True(await check.Models.AnyAsync(m => m.Id == model.Id));
    }

    [Fact]
    public async Task Deleting_a_model_put_in_use_after_the_checks_answers_409_and_deletes_nothing()
    {
        var model = await Database.SeedModelAsync();
        await using var db = Database.CreateContext(TestDatabase.BeforeSaving(() => Database.SeedConfigurationAsync(model.Id)));

        var result = await ModelsApi.DeleteModel(model.Id, Models(db), Ct);

        Assert.IsType<Conflict<ProblemDetails>>(result.Result);
        await using var check = Database.CreateContext();
        Assert.True(await check.Models.AnyAsync(m => m.Id == model.Id));
    }
}
