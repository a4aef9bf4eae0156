using KafkaMl.Web.Components.Shared;
using Microsoft.AspNetCore.Components;

namespace KafkaMl.Web.Components.Pages.Results;

/// <summary>
/// Every training result with its status, metrics and times; filtered by status, searched, sorted, and kept live:
/// any result's change reloads the rows, at most twice a second.
/// </summary>
public sealed partial class ResultsPage : IDisposable
{
    private const string AnyStatus = "";

    /// <summary>At most one reload per interval, however many results change.</summary>
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromMilliseconds(500);

    private readonly HashSet<int> selected = [];
    private ListTable<ResultSummary>? list;
    private string? statusFilter;
    private int? deploymentFilter;
    private RefreshThrottle? throttle;
    private IDisposable? subscription;

    /// <summary>Only this deployment's results at first (<c>/results?deploymentId=5</c>).</summary>
    [SupplyParameterFromQuery(Name = "deploymentId")] public int? DeploymentId { get; set; }

    [Inject] private ResultService Views { get; set; } = default!;

    [Inject] private ResultsNotifier Notifier { get; set; } = default!;

    private string CompareHref => $"results/compare?ids={string.Join(',', selected.Order())}";

    protected override void OnInitialized()
    {
        deploymentFilter = DeploymentId;
        throttle = new RefreshThrottle(() => InvokeAsync(ReloadAsync), RefreshInterval);
        subscription = Notifier.SubscribeAll(_ =>
        {
            throttle.Request();
            return Task.CompletedTask;
        });
    }

    private Task<IReadOnlyList<ResultSummary>> LoadAsync(CancellationToken cancellationToken) =>
        Views.ListAsync(statusFilter is null ? null : EnumNames.Parse<TrainingStatus>(statusFilter), deploymentFilter, cancellationToken);

    private Task ReloadAsync() => list?.ReloadAsync() ?? Task.CompletedTask;

    private async Task FilterAsync(string value)
    {
        statusFilter = string.IsNullOrEmpty(value) ? null : value;
        await ReloadAsync();
    }

    /// <summary>Only this deployment's results (also from the query: <c>/results?deploymentId=5</c>); the model is found with the search box.</summary>
    private async Task FilterDeploymentAsync(int? deploymentId)
    {
        deploymentFilter = deploymentId;
        await ReloadAsync();
    }

    private void Select(int id, bool on)
    {
        if (on) selected.Add(id);
        else selected.Remove(id);
    }

    private static bool Matches(ResultSummary result, string query) =>
        result.Model.Contains(query, StringComparison.OrdinalIgnoreCase)
        || result.Status.ToName() == query.ToLowerInvariant()
        || $"#{result.Id}" == query || result.Id.ToString() == query
        || $"#{result.DeploymentId}" == query;

    /// <summary>Test accuracy when there is one, else the negated test loss: higher sorts as better either way.</summary>
    private static object TestSortKey(ResultSummary result) =>
        result.TestMetrics.TryGetValue(KafkaMl.Core.Training.MetricNames.Accuracy, out var accuracy) ? accuracy
        : result.TestMetrics.TryGetValue(KafkaMl.Core.Training.MetricNames.Loss, out var loss) ? -loss
        : double.MinValue;

    public void Dispose()
    {
        subscription?.Dispose();
        throttle?.Dispose();
    }
}
