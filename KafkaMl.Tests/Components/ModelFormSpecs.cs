using Bunit;
using KafkaMl.Web.Components.Pages.Models;
using KafkaMl.Web.Components.Shared;
using Microsoft.AspNetCore.Components;

namespace KafkaMl.Tests.Components;

/// <summary>
/// The model page: templates, the API's field rules beside the fields, and validation by the real compiler and the
/// real <c>model-check</c> child process (its summary of layers and parameters).
/// </summary>
public sealed class ModelFormSpecs : PortalComponentContext
{
    [Fact]
    public void A_new_model_starts_from_the_HCOPD_template()
    {
        var page = RenderWithProviders<ModelEditPage>();

        Assert.Equal(ModelTemplates.Hcopd.Name, page.Input("model-name").GetAttribute("value"));
        Assert.Contains("HCOPD", page.Find("[data-testid=model-template]").TextContent);
        Assert.Equal(ModelTemplates.Hcopd.Code, page.FindComponent<ModelCodeEditor>().Instance.Code);
    }

    [Fact]
    public void Choosing_a_template_puts_its_code_in_the_editor()
    {
        var page = RenderWithProviders<ModelEditPage>();

        page.Input($"model-template-{ModelTemplates.ImageCnn.Key}").Click();

        page.WaitForAssertion(() => Assert.Equal(ModelTemplates.ImageCnn.Code, page.FindComponent<ModelCodeEditor>().Instance.Code));
        Assert.Equal(ModelTemplates.ImageCnn.Name, page.Input("model-name").GetAttribute("value"));
    }

    [Fact]
    public async Task Saving_without_a_name_shows_the_message_beside_the_name_and_creates_nothing()
    {
        var page = RenderWithProviders<ModelEditPage>();

        page.Fill("model-name", "");
        page.Click("model-save");

        page.WaitForAssertion(() => Assert.Equal("A name is required.", page.FieldError("model-name")));
        await AssertNoModelAsync();
    }

    [Fact]
    public async Task A_name_too_long_is_refused_beside_the_name()
    {
        var page = RenderWithProviders<ModelEditPage>();

        page.Fill("model-name", new string('m', 101));
        page.Click("model-save");

        page.WaitForAssertion(() => Assert.Equal("A name has at most 100 characters (101 given).", page.FieldError("model-name")));
        await AssertNoModelAsync();
    }

    [Fact]
    public async Task Code_that_does_not_compile_is_listed_with_its_line_and_column_and_nothing_is_saved()
    {
        var page = RenderWithProviders<ModelEditPage>();
        await page.InvokeAsync(() => page.FindComponent<ModelCodeEditor>().Instance.CodeChanged.InvokeAsync("var x = 1;\nLinear(3, undefinedSize)"));

        page.Click("model-save");

        page.WaitForAssertion(() => Assert.Contains("line 2, column 11", page.Find("[data-testid=model-diagnostics]").TextContent), TimeSpan.FromMinutes(2));
        Assert.Contains("undefinedSize", page.Find("[data-testid=model-diagnostic]").TextContent);
        Assert.Contains("line 2, column 11", page.Text("model-code-error"));
        Assert.Equal(ScriptDiagnosticSeverity.Error, page.FindComponent<ModelCodeEditor>().Instance.Diagnostics.Single().Severity);
        await AssertNoModelAsync();
    }

    [Fact]
    public async Task Validating_the_HCOPD_template_shows_its_layers_and_26_parameters()
    {
        var page = RenderWithProviders<ModelEditPage>();

        page.Click("model-validate");

        page.WaitForElement("[data-testid=model-summary]", TimeSpan.FromMinutes(2));
        Assert.Equal("26", page.Text("model-summary-parameters"));
        Assert.Equal(
            ["drop Dropout 0", "fc1 Linear 16", "sig Sigmoid 0", "fc2 Linear 10"],
            page.FindAll("[data-testid=model-summary-layer]").Select(row => string.Join(" ", row.Children.Select(c => c.TextContent.Trim()))));
        Assert.Contains("1 × 2", page.Text("model-summary-output"));
        Assert.NotNull(page.Find("[data-testid=model-diagnostics-ok]"));
        await AssertNoModelAsync();
    }

    [Fact]
    public async Task Saving_the_template_stores_the_model_and_returns_to_the_list()
    {
        var page = RenderWithProviders<ModelEditPage>();

        page.Click("model-save");

        var navigation = Services.GetRequiredService<NavigationManager>();
        page.WaitForAssertion(() => Assert.EndsWith("/models", navigation.Uri), TimeSpan.FromMinutes(2));
        await using var db = Training.CreateContext();
        var model = await db.Models.SingleAsync();
        Assert.Equal((ModelTemplates.Hcopd.Name, ModelTemplates.Hcopd.Code), (model.Name, model.Code));
    }

    [Fact]
    public async Task Editing_a_model_loads_it_and_saves_the_changes()
    {
        var seeded = await Training.Database.SeedModelAsync("old-name");
        var page = RenderWithProviders<ModelEditPage>(("Id", (int?)seeded.Id));
        page.WaitForAssertion(() => Assert.Equal("old-name", page.Input("model-name").GetAttribute("value")));

        page.Fill("model-name", "new-name");
        page.Click("model-save");

        var navigation = Services.GetRequiredService<NavigationManager>();
        page.WaitForAssertion(() => Assert.EndsWith("/models", navigation.Uri), TimeSpan.FromMinutes(2));
        await using var db = Training.CreateContext();
        Assert.Equal(("new-name", seeded.Code), await db.Models.Select(m => ValueTuple.Create(m.Name, m.Code)).SingleAsync());
    }

    [Theory]
    [InlineData("hcopd")]
    [InlineData("image-cnn")]
    [InlineData("regression")]
    public async Task Every_template_builds_in_the_model_check(string key)
    {
        var template = ModelTemplates.Find(key)!;
        var validation = await Services.GetRequiredService<ModelValidator>().ValidateAsync(template.Code, inputShape: null, Ct);

        Assert.True(validation.Ok, validation.Error);
        Assert.NotNull(validation.Check!.OutputShape);
    }

    private async Task AssertNoModelAsync()
    {
        await using var db = Training.CreateContext();
        Assert.Equal(0, await db.Models.CountAsync());
    }
}
