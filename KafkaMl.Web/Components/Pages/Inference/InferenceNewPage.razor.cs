using System.Text.Json;
using System.Text.Json.Nodes;
using KafkaMl.Web.Apis;
using KafkaMl.Web.Components.Shared;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace KafkaMl.Web.Components.Pages.Inference;

/// <summary>
/// The deploy form of a result (<c>/inferences/new?resultId=</c>), pre-filled from the stream it trained on. Every
/// field is checked here with the service's own rules (<see cref="InferenceService.Check"/>) and its message shown
/// beside it; only a request that passes is sent, and whatever the service still refuses lands on its field too.
/// </summary>
public sealed partial class InferenceNewPage
{
    private InferenceDraft? draft;
    private bool loaded;
    private string? loadError;
    private bool busy;
    private int replicas = 1;
    private string inputTopic = "";
    private string outputTopic = "";
    private string? inputFormat;
    private string inputConfig = "";
    private string version = InferenceVersions.Latest;
    private List<StageDraft> stages = [];
    private IReadOnlyDictionary<string, string[]> errors = new Dictionary<string, string[]>();

    [SupplyParameterFromQuery] public int? ResultId { get; set; }

    [Inject] private InferenceService Inferences { get; set; } = default!;

    [Inject] private NavigationManager Navigation { get; set; } = default!;

    [Inject] private ISnackbar Snackbar { get; set; } = default!;

    /// <summary>The messages of the last check, field by field (for tests and the markup).</summary>
    public IReadOnlyDictionary<string, string[]> Errors => errors;

    /// <summary>How many create requests this form sent.</summary>
    public int Submitted { get; private set; }

    protected override async Task OnParametersSetAsync()
    {
        if (ResultId is not { } id) return;
        loadError = await PageLoad.ErrorOfAsync(async () => draft = await Inferences.DraftAsync(id));
        loaded = true;
        if (draft is null) return;
        inputTopic = draft.SuggestedInputTopic;
        outputTopic = draft.SuggestedOutputTopic;
        inputFormat = draft.InputFormat;
        inputConfig = draft.InputConfig?.ToJsonString(new JsonSerializerOptions { WriteIndented = false }) ?? "";
        if (draft.Chain is { } chain)
        {
            var n = chain.Exits.Count;
            stages = [.. Enumerable.Range(1, n).Select(k => new StageDraft { Threshold = k < n ? chain.SuggestedThreshold : null })];
        }
    }

    /// <summary>A chain's stages as the API takes them: stage 1's replicas are the chain's first service's; no threshold at all means the suggested one.</summary>
    private InferenceRequest WithStages(InferenceRequest request)
    {
        var exits = stages.SkipLast(1).ToList();
        IReadOnlyList<double>? thresholds = exits.All(s => s.Threshold is not null) ? [.. exits.Select(s => s.Threshold!.Value)] : null;
        return request with
        {
            Replicas = stages[0].Replicas,
            Thresholds = thresholds,
            Stages = [.. stages.Select(s => new ChainStageRequest(s.Replicas, s.BootstrapServers))],
        };
    }

    private bool Has(string field) => errors.ContainsKey(field);

    private string? Text(string field) => errors.TryGetValue(field, out var messages) ? string.Join(" ", messages) : null;

    private async Task SubmitAsync()
    {
        if (draft is null || busy) return;
        JsonNode? config = null;
        if (!string.IsNullOrWhiteSpace(inputConfig))
        {
            try
            {
                config = JsonNode.Parse(inputConfig);
            }
            catch (JsonException e)
            {
                errors = new Dictionary<string, string[]> { ["inputConfig"] = [$"The input config is not valid JSON: {e.Message}"] };
                return;
            }
        }
        JsonNode versionNode = int.TryParse(version, System.Globalization.CultureInfo.InvariantCulture, out var pinned) ? pinned : InferenceVersions.Latest;
        var request = new InferenceRequest(draft.ResultId, replicas, inputFormat, config, inputTopic, outputTopic, Version: versionNode);
        if (draft.Chain is not null) request = WithStages(request);
        var (found, _) = InferenceService.Check(request, draft);
        var messages = found.ToDictionary(e => e.Key, e => e.Value.ToArray());
        if (draft.Chain is not null && stages.SkipLast(1).Any(s => s.Threshold is null) && stages.SkipLast(1).Any(s => s.Threshold is not null))
            messages["thresholds"] = ["Give every early exit a threshold, or none to take the suggested one."];
        errors = messages;
        if (errors.Count > 0) return;

        busy = true;
        try
        {
            Submitted++;
            var outcome = await Inferences.CreateAsync(request);
            switch (outcome.Kind)
            {
                case OutcomeKind.Ok:
                    Snackbar.Add($"Inference {outcome.Value!.Id} deployed; its replicas are starting.", Severity.Success);
                    foreach (var warning in outcome.Value.Warnings) Snackbar.Add(warning, Severity.Warning);
                    Navigation.NavigateTo($"inferences/{outcome.Value.Id}");
                    break;
                case OutcomeKind.Invalid:
                    errors = outcome.Errors;
                    break;
                default:
                    Snackbar.Add(outcome.Problem ?? "The inference could not be deployed.", Severity.Error);
                    break;
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Snackbar.Add($"Deploying failed: {e.Message}", Severity.Error);
        }
        finally
        {
            busy = false;
        }
    }

    /// <summary>One stage of a chain on the form: its replicas, its Kafka (blank: the portal's) and its exit's threshold (none for the final stage).</summary>
    private sealed class StageDraft
    {
        public int Replicas { get; set; } = 1;

        public string BootstrapServers { get; set; } = "";

        public double? Threshold { get; set; }
    }
}
