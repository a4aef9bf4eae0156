using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using static KafkaMl.Tests.Support.Builders;

namespace KafkaMl.Tests.Apis;

public sealed class ConfigurationsApiSpecs : DatabaseSpecBase
{
    /// <summary>The service the handlers call, over contexts like <paramref name="db"/>.</summary>
    private static ConfigurationService Configurations(KafkaMlDbContext db) => new(new ContextsLike(db));

    [Fact]
    public async Task Creating_a_configuration_answers_201_with_its_location_and_model_ids()
    {
        var first = await Database.SeedModelAsync();
        var second = await Database.SeedModelAsync();
        await using var db = Database.CreateContext();

        var result = await ConfigurationsApi.CreateConfiguration(
            AConfigurationRequest([second.Id, first.Id], name: "compare", description: "two models"), Configurations(db), Ct);

        var created = Assert.IsType<Created<ConfigurationResponse>>(result.Result);
        var configuration = created.Value!;
        Assert.Equal($"/api/configurations/{configuration.Id}", created.Location);
        Assert.Equal(("compare", "two models"), (configuration.Name, configuration.Description));
        Assert.Equal([first.Id, second.Id], configuration.ModelIds);
        await using var check = Database.CreateContext();
        var stored = await check.Configurations.Include(c => c.Models).SingleAsync();
        Assert.Equal([first.Id, second.Id], stored.Models.Select(m => m.Id).Order());
    }

    [Fact]
    public async Task Creating_a_configuration_links_a_model_given_twice_once()
    {
        var model = await Database.SeedModelAsync();
        await using var db = Database.CreateContext();

        var result = await ConfigurationsApi.CreateConfiguration(AConfigurationRequest([model.Id, model.Id]), Configurations(db), Ct);

        Assert.Equal([model.Id], Assert.IsType<Created<ConfigurationResponse>>(result.Result).Value!.ModelIds);
    }

    [Fact]
    public async Task A_model_may_belong_to_several_configurations()
    {
        var model = await Database.SeedModelAsync();
        await using var db = Database.CreateContext();

        var first = await ConfigurationsApi.CreateConfiguration(AConfigurationRequest([model.Id]), Configurations(db), Ct);
        var second = await ConfigurationsApi.CreateConfiguration(AConfigurationRequest([model.Id]), Configurations(db), Ct);

        Assert.IsType<Created<ConfigurationResponse>>(first.Result);
        Assert.IsType<Created<ConfigurationResponse>>(second.Result);
    }

    [Fact]
    public async Task Listing_configurations_returns_each_with_its_model_ids_in_id_order()
    {
        var first = await Database.SeedModelAsync();
        var second = await Database.SeedModelAsync();
        var one = await Database.SeedConfigurationAsync(first.Id);
        var both = await Database.SeedConfigurationAsync(first.Id, second.Id);
        await using var db = Database.CreateContext();

        var result = await ConfigurationsApi.ListConfigurations(Configurations(db), Ct);

        Assert.Equal(
            [new ConfigurationResponse(one.Id, one.Name, "seeded", [first.Id]), new ConfigurationResponse(both.Id, both.Name, "seeded", [first.Id, second.Id])],
            result.Value!,
            ConfigurationEquals);
    }

    [Fact]
    public async Task Getting_a_configuration_returns_it_with_its_model_ids()
    {
        var model = await Database.SeedModelAsync();
        var seeded = await Database.SeedConfigurationAsync(model.Id);
        await using var db = Database.CreateContext();

        var result = await ConfigurationsApi.GetConfiguration(seeded.Id, Configurations(db), Ct);

        var configuration = Assert.IsType<Ok<ConfigurationResponse>>(result.Result).Value!;
        Assert.Equal((seeded.Id, seeded.Name, "seeded"), (configuration.Id, configuration.Name, configuration.Description));
        Assert.Equal([model.Id], configuration.ModelIds);
    }

    [Fact]
    public async Task Getting_an_unknown_configuration_answers_404_problem_details()
    {
        await using var db = Database.CreateContext();

        var result = await ConfigurationsApi.GetConfiguration(7, Configurations(db), Ct);

        var notFound = Assert.IsType<NotFound<ProblemDetails>>(result.Result);
        Assert.Equal(StatusCodes.Status404NotFound, notFound.Value!.Status);
        Assert.Contains("7", notFound.Value.Detail);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("  ")]
    public async Task Creating_a_configuration_without_a_name_answers_400_on_name(string? name)
    {
        var model = await Database.SeedModelAsync();
        await using var db = Database.CreateContext();

        var result = await ConfigurationsApi.CreateConfiguration(new ConfigurationRequest(name, "d", [model.Id]), Configurations(db), Ct);

        ApiAssert.ValidationProblem(result.Result, "name");
        Assert.False(await db.Configurations.AnyAsync());
    }

    [Fact]
    public async Task Creating_a_configuration_with_a_name_over_100_characters_answers_400_on_name()
    {
        var model = await Database.SeedModelAsync();
        await using var db = Database.CreateContext();

        var result = await ConfigurationsApi.CreateConfiguration(AConfigurationRequest([model.Id], name: new string('c', 101)), Configurations(db), Ct);

        ApiAssert.ValidationProblem(result.Result, "name");
    }

    [Fact]
    public async Task Creating_a_configuration_whose_name_differs_only_in_case_answers_400_on_name()
    {
        var model = await Database.SeedModelAsync();
        var existing = await Database.SeedConfigurationAsync(model.Id);
        await using var db = Database.CreateContext();

        var result = await ConfigurationsApi.CreateConfiguration(AConfigurationRequest([model.Id], name: existing.Name.ToUpperInvariant()), Configurations(db), Ct);

        ApiAssert.ValidationProblem(result.Result, "name");
        Assert.Equal(1, await db.Configurations.CountAsync());
    }

    [Fact]
    public async Task Creating_a_configuration_that_loses_the_race_for_its_name_answers_400_on_name_and_links_nothing()
    {
        var model = await Database.SeedModelAsync();
        await using var db = Database.CreateContext(TestDatabase.BeforeSaving(async () =>
        {
            await using var other = Database.CreateContext();
            other.Configurations.Add(new() { Name = "RACE", Models = [await other.Models.SingleAsync()] });
            await other.SaveChangesAsync();
        }));

        var result = await ConfigurationsApi.CreateConfiguration(AConfigurationRequest([model.Id], name: "race"), Configurations(db), Ct);

        ApiAssert.ValidationProblem(result.Result, "name");
        await using var check = Database.CreateContext();
        Assert.Equal(["RACE"], await check.Configurations.Select(c => c.Name).ToListAsync());
        Assert.Equal(1, await CountLinksAsync(check));
    }

    [Fact]
    public async Task Creating_a_configuration_with_an_empty_model_list_answers_400_on_model_ids()
    {
        await using var db = Database.CreateContext();

        var result = await ConfigurationsApi.CreateConfiguration(AConfigurationRequest([]), Configurations(db), Ct);

        ApiAssert.ValidationProblem(result.Result, "modelIds");
    }

    [Fact]
    public async Task Creating_a_configuration_without_model_ids_answers_400_on_model_ids()
    {
        await using var db = Database.CreateContext();

        var result = await ConfigurationsApi.CreateConfiguration(AConfigurationRequest(null), Configurations(db), Ct);

        ApiAssert.ValidationProblem(result.Result, "modelIds");
    }

    [Fact]
    public async Task Creating_a_configuration_with_unknown_model_ids_answers_400_naming_them_and_writes_nothing()
    {
        var model = await Database.SeedModelAsync();
        await using var db = Database.CreateContext();

        var result = await ConfigurationsApi.CreateConfiguration(AConfigurationRequest([model.Id, 404, 405]), Configurations(db), Ct);

        var message = Assert.Single(ApiAssert.ValidationProblem(result.Result, "modelIds"));
        Assert.Contains("404", message);
        Assert.Contains("405", message);
        Assert.DoesNotContain(model.Id.ToString(), message.Replace("404", "").Replace("405", ""));
        await using var check = Database.CreateContext();
        Assert.False(await check.Configurations.AnyAsync());
        Assert.Equal(0, await CountLinksAsync(check));
    }

    [Fact]
    public async Task Creating_a_configuration_whose_model_is_deleted_meanwhile_answers_400_on_model_ids_and_writes_nothing()
    {
        var kept = await Database.SeedModelAsync();
        var doomed = await Database.SeedModelAsync();
        await using var db = Database.CreateContext(TestDatabase.BeforeSaving(async () =>
        {
            await using var other = Database.CreateContext();
            await other.Models.Where(m => m.Id == doomed.Id).ExecuteDeleteAsync();
        }));

        var result = await ConfigurationsApi.CreateConfiguration(AConfigurationRequest([kept.Id, doomed.Id]), Configurations(db), Ct);

        ApiAssert.ValidationProblem(result.Result, "modelIds");
        await using var check = Database.CreateContext();
        Assert.False(await check.Configurations.AnyAsync());
        Assert.Equal(0, await CountLinksAsync(check));
    }

    [Fact]
    public async Task Updating_a_configuration_replaces_its_name_description_and_models()
    {
        var first = await Database.SeedModelAsync();
        var second = await Database.SeedModelAsync();
        var third = await Database.SeedModelAsync();
        var seeded = await Database.SeedConfigurationAsync(first.Id, second.Id);
        await using var db = Database.CreateContext();

        var result = await ConfigurationsApi.UpdateConfiguration(
            seeded.Id, new ConfigurationRequest("renamed", "other models", [third.Id, second.Id]), Configurations(db), Ct);

        var configuration = Assert.IsType<Ok<ConfigurationResponse>>(result.Result).Value!;
        Assert.Equal((seeded.Id, "renamed", "other models"), (configuration.Id, configuration.Name, configuration.Description));
        Assert.Equal([second.Id, third.Id], configuration.ModelIds);
        await using var check = Database.CreateContext();
        var stored = await check.Configurations.Include(c => c.Models).SingleAsync();
        Assert.Equal([second.Id, third.Id], stored.Models.Select(m => m.Id).Order());
        Assert.Equal(3, await check.Models.CountAsync());
    }

    [Fact]
    public async Task Updating_a_configuration_may_keep_its_own_name()
    {
        var model = await Database.SeedModelAsync();
        var seeded = await Database.SeedConfigurationAsync(model.Id);
        await using var db = Database.CreateContext();

        var result = await ConfigurationsApi.UpdateConfiguration(seeded.Id, AConfigurationRequest([model.Id], name: seeded.Name), Configurations(db), Ct);

        Assert.IsType<Ok<ConfigurationResponse>>(result.Result);
    }

    [Fact]
    public async Task Updating_a_configuration_to_another_configurations_name_answers_400_on_name()
    {
        var model = await Database.SeedModelAsync();
        var taken = await Database.SeedConfigurationAsync(model.Id);
        var seeded = await Database.SeedConfigurationAsync(model.Id);
        await using var db = Database.CreateContext();

        var result = await ConfigurationsApi.UpdateConfiguration(seeded.Id, AConfigurationRequest([model.Id], name: taken.Name), Configurations(db), Ct);

        ApiAssert.ValidationProblem(result.Result, "name");
    }

    [Fact]
    public async Task Updating_a_configuration_with_an_unknown_model_id_answers_400_and_changes_nothing()
    {
        var model = await Database.SeedModelAsync();
        var seeded = await Database.SeedConfigurationAsync(model.Id);
        await using var db = Database.CreateContext();

        var result = await ConfigurationsApi.UpdateConfiguration(seeded.Id, new ConfigurationRequest("renamed", "x", [99]), Configurations(db), Ct);

        Assert.Contains("99", Assert.Single(ApiAssert.ValidationProblem(result.Result, "modelIds")));
        await using var check = Database.CreateContext();
        var stored = await check.Configurations.Include(c => c.Models).SingleAsync();
        Assert.Equal(seeded.Name, stored.Name);
        Assert.Equal([model.Id], stored.Models.Select(m => m.Id));
    }

    [Fact]
    public async Task Updating_a_configuration_with_an_empty_model_list_answers_400_on_model_ids()
    {
        var model = await Database.SeedModelAsync();
        var seeded = await Database.SeedConfigurationAsync(model.Id);
        await using var db = Database.CreateContext();

        var result = await ConfigurationsApi.UpdateConfiguration(seeded.Id, AConfigurationRequest([]), Configurations(db), Ct);

        ApiAssert.ValidationProblem(result.Result, "modelIds");
    }

    [Fact]
    public async Task Updating_an_unknown_configuration_answers_404_problem_details()
    {
        var model = await Database.SeedModelAsync();
        await using var db = Database.CreateContext();

        var result = await ConfigurationsApi.UpdateConfiguration(7, AConfigurationRequest([model.Id]), Configurations(db), Ct);

        Assert.IsType<NotFound<ProblemDetails>>(result.Result);
    }

    [Fact]
    public async Task Deleting_a_configuration_answers_204_removes_its_links_and_keeps_its_models()
    {
        var model = await Database.SeedModelAsync();
        var seeded = await Database.SeedConfigurationAsync(model.Id);
        await using var db = Database.CreateContext();

        var result = await ConfigurationsApi.DeleteConfiguration(seeded.Id, Configurations(db), Ct);

        Assert.IsType<NoContent>(result.Result);
        await using var check = Database.CreateContext();
        Assert.False(await check.Configurations.AnyAsync());
        Assert.Equal(0, await CountLinksAsync(check));
        Assert.True(await check.Models.AnyAsync(m => m.Id == model.Id));
    }

    [Fact]
    public async Task Deleting_a_configuration_frees_its_models_for_deletion()
    {
        var model = await Database.SeedModelAsync();
        var seeded = await Database.SeedConfigurationAsync(model.Id);
        await using var db = Database.CreateContext();

        await ConfigurationsApi.DeleteConfiguration(seeded.Id, Configurations(db), Ct);
        var result = await ModelsApi.DeleteModel(model.Id, new ModelService(new ContextsLike(db), null!), Ct);

        Assert.IsType<NoContent>(result.Result);
    }

    [Fact]
    public async Task Deleting_an_unknown_configuration_answers_404_problem_details()
    {
        await using var db = Database.CreateContext();

        var result = await ConfigurationsApi.DeleteConfiguration(7, Configurations(db), Ct);

        Assert.IsType<NotFound<ProblemDetails>>(result.Result);
    }

    [Fact]
    public async Task Deleting_a_configuration_used_by_a_deployment_answers_409_naming_it_and_deletes_nothing()
    {
        var model = await Database.SeedModelAsync();
        var seeded = await Database.SeedConfigurationAsync(model.Id);
        var deployment = await Database.SeedDeploymentAsync(seeded.Id, model.Id);
        await using var db = Database.CreateContext();

        var result = await ConfigurationsApi.DeleteConfiguration(seeded.Id, Configurations(db), Ct);

        var conflict = Assert.IsType<Conflict<ProblemDetails>>(result.Result);
        Assert.Equal(StatusCodes.Status409Conflict, conflict.Value!.Status);
        Assert.Contains(deployment.Id.ToString(), conflict.Value.Detail);
        await using var check = Database.CreateContext();
        Assert.True(await check.Configurations.AnyAsync(c => c.Id == seeded.Id));
        Assert.Equal(1, await CountLinksAsync(check));
        Assert.True(await check.Deployments.AnyAsync(d => d.Id == deployment.Id));
    }

    [Fact]
    public async Task Deleting_a_configuration_deployed_after_the_checks_answers_409_and_deletes_nothing()
    {
        var model = await Database.SeedModelAsync();
        var seeded = await Database.SeedConfigurationAsync(model.Id);
        await using var db = Database.CreateContext(TestDatabase.BeforeSaving(() => Database.SeedDeploymentAsync(seeded.Id, model.Id)));

        var result = await ConfigurationsApi.DeleteConfiguration(seeded.Id, Configurations(db), Ct);

        Assert.IsType<Conflict<ProblemDetails>>(result.Result);
        await using var check = Database.CreateContext();
        Assert.True(await check.Configurations.AnyAsync(c => c.Id == seeded.Id));
        Assert.Equal(1, await CountLinksAsync(check));
    }

    private static Task<int> CountLinksAsync(Web.Data.KafkaMlDbContext db) =>
        db.Database.SqlQueryRaw<int>("SELECT COUNT(*) AS \"Value\" FROM \"ConfigurationModels\"").SingleAsync();

    private static bool ConfigurationEquals(ConfigurationResponse left, ConfigurationResponse right) =>
        (left.Id, left.Name, left.Description) == (right.Id, right.Name, right.Description) && left.ModelIds.SequenceEqual(right.ModelIds);
}
