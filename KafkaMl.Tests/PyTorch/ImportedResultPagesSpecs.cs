using Bunit;
using KafkaMl.Tests.Components;
using KafkaMl.Web.Components.Pages.Results;

namespace KafkaMl.Tests.PyTorch;

/// <summary>The result pages tell an imported result from a trained one.</summary>
public sealed class ImportedResultPagesSpecs : PortalComponentContext
{
    [Fact]
    public async Task The_results_page_marks_imported_results_only()
    {
        var (_, imported) = await PyTorchFixtures.ImportFixtureAsync(Training);
        var trained = await Training.SeedResultAsync(TrainingStatus.Finished);

        var page = RenderWithProviders<ResultsPage>();

        page.WaitForAssertion(() => Assert.Equal("imported", page.Text($"result-imported-{imported}")));
        Assert.Empty(page.FindAll($"[data-testid=result-imported-{trained}]"));
    }

    [Fact]
    public async Task The_result_page_says_which_file_the_weights_came_from()
    {
        var (_, imported) = await PyTorchFixtures.ImportFixtureAsync(Training);

        var page = RenderWithProviders<ResultDetailPage>(("Id", imported));

        page.WaitForAssertion(() => Assert.Contains("Weights imported from mlp.safetensors (safetensors)", page.Text("result-weights-origin")));
        Assert.Equal("imported", page.Text("result-imported"));
    }

    [Fact]
    public async Task A_trained_result_says_it_was_trained_here()
    {
        var trained = await Training.SeedResultAsync(TrainingStatus.Finished);

        var page = RenderWithProviders<ResultDetailPage>(("Id", trained));

        page.WaitForAssertion(() => Assert.Contains("Trained here from the script's own initialisation", page.Text("result-weights-origin")));
        Assert.Empty(page.FindAll("[data-testid=result-imported]"));
    }
}
