using KafkaMl.Web.Components.Shared;
using KafkaMl.Web.Services.Dashboards;
using KafkaMl.Web.Services.Overview;
using Microsoft.AspNetCore.Components;

namespace KafkaMl.Web.Components.Pages;

/// <summary>
/// The live overview (issue 17, item 5): running trainings with their progress, serving inferences with their
/// throughput and p99, the latest results with their test metrics, the broker's health and the pinned dashboards.
/// Training and inference announcements refresh it at most once a second; the health every few seconds.
/// </summary>
public sealed partial class Home : IDisposable
{
    private static readonly TimeSpan HealthEvery = TimeSpan.FromSeconds(10);

    private static readonly Step[] Steps =
    [
        new(1, "Models", "C# scripts over TorchSharp, checked as you type.", "models"),
        new(2, "Configurations", "Group models to train and compare on one stream.", "configurations"),
        new(3, "Deployments", "Batch size, epochs, optimizer, loss and metrics.", "deployments"),
        new(4, "Datasources", "Streams that arrived, and sending them again.", "datasources"),
        new(5, "Results", "Live loss and metrics, confusion matrices, downloads.", "results"),
        new(6, "Inference", "Replicated consumers writing predictions to a topic.", "inferences"),
        new(7, "Dashboards", "Live views over prediction topics.", "dashboards"),
    ];

    private readonly CancellationTokenSource stop = new();
    private OverviewSnapshot? overview;
    private PortalHealth? health;
    private string? error;
    private RefreshThrottle? throttle;
    private IDisposable? results;
    private IDisposable? inferences;

    [Inject] private OverviewService Overview { get; set; } = default!;

    [Inject] private PortalStatusService Status { get; set; } = default!;

    [Inject] private ResultsNotifier Notifier { get; set; } = default!;

    [Inject] private InferenceMonitor Monitor { get; set; } = default!;

    [Inject] private DashboardHub Hub { get; set; } = default!;

    protected override async Task OnInitializedAsync()
    {
        throttle = new RefreshThrottle(() => InvokeAsync(async () => { await LoadAsync(); StateHasChanged(); }), TimeSpan.FromSeconds(1));
        results = Notifier.SubscribeAll(_ => { throttle.Request(); return Task.CompletedTask; });
        inferences = Monitor.Subscribe(null, _ => { throttle.Request(); return Task.CompletedTask; });
        await LoadAsync();
        _ = CheckHealthLoopAsync(stop.Token);
    }

    private async Task LoadAsync() => error = await PageLoad.ErrorOfAsync(async () => overview = await Overview.ReadAsync(stop.Token));

    /// <summary>The health checks (database, broker, Hangfire) now and every <see cref="HealthEvery"/>, while the page is open.</summary>
    private async Task CheckHealthLoopAsync(CancellationToken token)
    {
        try
        {
            using var timer = new PeriodicTimer(HealthEvery);
            do
            {
                var checkedNow = await Status.CheckAsync(token);
                await InvokeAsync(() =>
                {
                    health = checkedNow;
                    StateHasChanged();
                });
            }
            while (await timer.WaitForNextTickAsync(token));
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
        {
            // The page went away.
        }
    }

    public void Dispose()
    {
        stop.Cancel();
        stop.Dispose();
        results?.Dispose();
        inferences?.Dispose();
        throttle?.Dispose();
    }

    private sealed record Step(int Number, string Title, string Text, string Href);
}
