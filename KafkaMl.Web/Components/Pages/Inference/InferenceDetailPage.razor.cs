using System.Text.Json.Nodes;
using KafkaMl.Web.Apis;
using KafkaMl.Web.Components.Shared;
using KafkaMl.Web.Telemetry;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace KafkaMl.Web.Components.Pages.Inference;

/// <summary>
/// One inference service: status, live totals and per-replica stats, throughput and latency over the last minutes,
/// the consumer lag per input partition (as <see cref="ConsumerLagMonitor"/> last read it), the latest predictions, the model version wanted and the one each replica serves, and pin / follow latest / stop /
/// scale / delete. Stats and status changes announced by the
/// <see cref="InferenceMonitor"/> refresh the page at most once a second.
/// </summary>
public sealed partial class InferenceDetailPage : IDisposable
{
    private InferenceResponse? inference;
    private bool loaded;
    private string? error;
    private bool busy;
    private int scaleTo = 1;
    private IReadOnlyList<int> versions = [];
    private int pinTo = 1;
    private IReadOnlyList<InferenceChart.Line> throughput = [];
    private IReadOnlyList<InferenceChart.Line> latency = [];
    private ConsumerLag? lag;
    private IDisposable? subscription;
    private RefreshThrottle? throttle;
    private int? subscribedTo;

    [Parameter] public int Id { get; set; }

    [Inject] private InferenceService Inferences { get; set; } = default!;

    [Inject] private InferenceMonitor Monitor { get; set; } = default!;

    /// <summary>For the consumer lag, which a portal without telemetry (e.g. a page test's services) does not read.</summary>
    [Inject] private IServiceProvider Services { get; set; } = default!;

    [Inject] private ISnackbar Snackbar { get; set; } = default!;

    [Inject] private IDialogService Dialogs { get; set; } = default!;

    [Inject] private NavigationManager Navigation { get; set; } = default!;

    private bool CanChange => inference?.Status is InferenceStatus.Created or InferenceStatus.Deployed or InferenceStatus.Running;

    protected override async Task OnParametersSetAsync()
    {
        if (subscribedTo == Id) return;
        subscription?.Dispose();
        throttle?.Dispose();
        subscribedTo = Id;
        inference = null;
        loaded = false;
        throttle = new RefreshThrottle(() => InvokeAsync(async () => { await LoadAsync(); StateHasChanged(); }), TimeSpan.FromSeconds(1));
        subscription = Monitor.Subscribe(Id, _ => { throttle.Request(); return Task.CompletedTask; });
        await LoadAsync();
        scaleTo = inference?.Replicas ?? 1;
        pinTo = inference?.WantedVersion ?? versions.LastOrDefault(1);
    }

    private async Task LoadAsync()
    {
        error = await PageLoad.ErrorOfAsync(async () =>
        {
            inference = (await Inferences.GetAsync(Id)).Value;
            versions = inference is null ? [] : await Inferences.VersionNumbersAsync(inference.ResultId);
        });
        loaded = true;
        lag = Services.GetService<ConsumerLagMonitor>()?.Get(Id);
        var history = Inferences.History(Id);
        throughput = [new("predictions/s", history.Select(p => (p.Time, (double?)p.MessagesPerSecond)).ToList())];
        latency =
        [
            new("p50", history.Select(p => (p.Time, p.LatencyP50Ms)).ToList()),
            new("p99", history.Select(p => (p.Time, p.LatencyP99Ms)).ToList()),
        ];
    }

    private Task StopAsync() => ActAsync("Stopping", async () => (await Inferences.StopAsync(Id)).Failure, $"Inference {Id} stopped.");

    private Task ScaleAsync() => ActAsync("Scaling", async () =>
    {
        var outcome = await Inferences.ScaleAsync(Id, scaleTo);
        foreach (var warning in outcome.Value?.Warnings ?? []) Snackbar.Add(warning, Severity.Warning);
        return outcome.Failure;
    }, $"Inference {Id} scaled to {scaleTo} replica(s).");

    private Task PinAsync() =>
        ActAsync("Pinning", async () => (await Inferences.SetVersionAsync(Id, JsonValue.Create(pinTo))).Failure, $"Inference {Id} pinned to version {pinTo}.");

    private Task FollowLatestAsync() =>
        ActAsync("Following", async () => (await Inferences.SetVersionAsync(Id, JsonValue.Create(InferenceVersions.Latest))).Failure, $"Inference {Id} follows the latest version.");

    private async Task DeleteAsync()
    {
        var confirmed = await Dialogs.ShowMessageBoxAsync("Delete this inference?",
            $"Inference {Id}'s replicas are stopped and it is deleted; its topics stay.", yesText: "Delete", cancelText: "Cancel");
        if (confirmed != true) return;
        await ActAsync("Deleting", async () => (await Inferences.DeleteAsync(Id)).Failure, $"Inference {Id} deleted.");
        if (inference is not null && (await Inferences.GetAsync(Id)).Kind == OutcomeKind.NotFound) Navigation.NavigateTo("inferences");
    }

    /// <summary>Runs an action (answering why it failed, if it did); a refusal or failure is told in a snackbar, and the page shows the outcome.</summary>
    private async Task ActAsync(string what, Func<Task<Failure?>> action, string done)
    {
        busy = true;
        try
        {
            var failure = await action();
            if (failure is null) Snackbar.Add(done, Severity.Success);
            else
            {
                var reason = failure.Problem ?? string.Join(" ", failure.Errors.SelectMany(e => e.Value));
                Snackbar.Add($"{what} inference {Id} failed: {reason}", Severity.Error);
            }
            await LoadAsync();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Snackbar.Add($"{what} inference {Id} failed: {e.Message}", Severity.Error);
        }
        finally
        {
            busy = false;
        }
    }

    public void Dispose()
    {
        subscription?.Dispose();
        throttle?.Dispose();
    }
}
