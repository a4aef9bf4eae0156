using System.Globalization;
using KafkaMl.Web.Apis;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace KafkaMl.Web.Components.Pages.Inference;

/// <summary>
/// The chain part of an inference's page (<see cref="InferenceResponse.Chain"/>): its stages' live totals, its thresholds
/// (applied to the running chain through <see cref="InferenceService.SetThresholdsAsync"/>) and its answered-by-exit shares
/// over time (<see cref="ChainShares"/>). The page passes a new <see cref="Chain"/> when it reloads. Renders nothing for a plain inference.
/// </summary>
public sealed partial class ChainStagesPanel
{
    private static readonly TimeSpan Bucket = TimeSpan.FromSeconds(10);

    [Parameter] public InferenceChainResponse? Chain { get; set; }

    [Inject] private InferenceService Inferences { get; set; } = default!;

    [Inject] private ISnackbar Snackbar { get; set; } = default!;

    private InferenceChainResponse? shown;
    private double[] thresholds = [];
    private IReadOnlyList<InferenceChart.Line> shares = [];
    private bool busy;

    protected override void OnParametersSet()
    {
        if (Chain is null || ReferenceEquals(Chain, shown)) return;
        // The fields keep what the user typed until the chain's thresholds change.
        if (shown is null || !shown.Thresholds.SequenceEqual(Chain.Thresholds)) thresholds = [.. Chain.Thresholds];
        shown = Chain;
        var history = Inferences.ChainSharesHistory(Chain, Bucket);
        shares = [.. Enumerable.Range(0, Chain.Stages.Count).Select(k => new InferenceChart.Line(
            k == Chain.Stages.Count - 1 ? $"exit {k + 1} (final)" : $"exit {k + 1}",
            [.. history.Select(p => (p.Time, (double?)p.Shares[k]))]))];
    }

    private async Task ApplyAsync()
    {
        if (Chain is null) return;
        busy = true;
        try
        {
            var outcome = await Inferences.SetThresholdsAsync(Chain.ChainId, thresholds);
            if (outcome.Failure is { } failure)
                Snackbar.Add($"The thresholds were not changed: {failure.Problem ?? string.Join(" ", failure.Errors.SelectMany(e => e.Value))}", Severity.Error);
            else
                Snackbar.Add($"Chain #{Chain.ChainId} answers with thresholds {string.Join(", ", thresholds.Select(t => t.ToString(CultureInfo.InvariantCulture)))} from its next batches.", Severity.Success);
        }
        finally
        {
            busy = false;
        }
    }

    private static string Ms(double? value) => value is { } ms ? ms.ToString("0.0", CultureInfo.InvariantCulture) : "–";
}
