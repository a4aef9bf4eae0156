using Bunit;
using KafkaMl.Web.Components.Pages.Configurations;
using Microsoft.AspNetCore.Components;

namespace KafkaMl.Tests.Components;

/// <summary>The configuration form: the API's rules beside each field before anything is created.</summary>
public sealed class ConfigurationFormSpecs : PortalComponentContext
{
    [Fact]
    public async Task Saving_without_a_model_shows_the_message_under_the_models_and_creates_nothing()
    {
        await Training.Database.SeedModelAsync("mlp");
        var page = RenderWithProviders<ConfigurationNewPage>();
        page.WaitForElement("[data-testid=configuration-name]");

        page.Fill("configuration-name", "compare");
        page.Click("configuration-save");

        page.WaitForAssertion(() => Assert.Equal("A configuration needs at least one model.", page.Text("configuration-models-error")));
        await using var db = Training.CreateContext();
        Assert.Equal(0, await db.Configurations.CountAsync());
    }

    [Fact]
    public async Task Saving_without_a_name_shows_the_message_beside_the_name_and_creates_nothing()
    {
        var model = await Training.Database.SeedModelAsync("mlp");
        var page = RenderWithProviders<ConfigurationNewPage>();
        page.WaitForElement($"[data-testid=configuration-model-{model.Id}]");

        page.Input($"configuration-model-{model.Id}").Change(true);
        page.Fill("configuration-name", "   ");
        page.Click("configuration-save");

        page.WaitForAssertion(() => Assert.Equal("A name is required.", page.FieldError("configuration-name")));
        await using var db = Training.CreateContext();
        Assert.Equal(0, await db.Configurations.CountAsync());
    }

    [Fact]
    public async Task A_name_already_taken_is_answered_beside_the_name()
    {
        var model = await Training.Database.SeedModelAsync("mlp");
        var taken = await Training.Database.SeedConfigurationAsync(model.Id);
        var page = RenderWithProviders<ConfigurationNewPage>();
        page.WaitForElement($"[data-testid=configuration-model-{model.Id}]");

        page.Input($"configuration-model-{model.Id}").Change(true);
        page.Fill("configuration-name", taken.Name.ToUpperInvariant());
        page.Click("configuration-save");

        page.WaitForAssertion(() => Assert.Contains("already exists", page.FieldError("configuration-name")));
        await using var db = Training.CreateContext();
        Assert.Equal(1, await db.Configurations.CountAsync());
    }

    [Fact]
    public async Task The_checked_models_make_the_configuration_and_the_list_shows_them()
    {
        var first = await Training.Database.SeedModelAsync("first-model");
        await Training.Database.SeedModelAsync("unchecked-model");
        var third = await Training.Database.SeedModelAsync("third-model");
        var page = RenderWithProviders<ConfigurationNewPage>();
        page.WaitForElement($"[data-testid=configuration-model-{third.Id}]");

        page.Fill("configuration-name", "pair");
        page.Input($"configuration-model-{first.Id}").Change(true);
        page.Input($"configuration-model-{third.Id}").Change(true);
        page.Click("configuration-save");

        var navigation = Services.GetRequiredService<NavigationManager>();
        page.WaitForAssertion(() => Assert.EndsWith("/configurations", navigation.Uri));
        await using var db = Training.CreateContext();
        var saved = await db.Configurations.Include(c => c.Models).SingleAsync();
        Assert.Equal("pair", saved.Name);
        Assert.Equal([first.Id, third.Id], saved.Models.Select(m => m.Id).Order());
    }

    [Fact]
    public async Task The_list_shows_the_models_of_each_configuration()
    {
        var first = await Training.Database.SeedModelAsync("first-model");
        await Training.Database.SeedModelAsync("unused-model");
        var configuration = await Training.Database.SeedConfigurationAsync(first.Id);

        var list = RenderWithProviders<ConfigurationsPage>();

        list.WaitForAssertion(() => Assert.Contains(configuration.Name, list.Find("[data-testid=list-table]").TextContent));
        Assert.Contains("first-model", list.Find("[data-testid=list-table]").TextContent);
        Assert.DoesNotContain("unused-model", list.Find("[data-testid=list-table]").TextContent);
    }
}
