using KafkaMl.Core.Domain;

namespace KafkaMl.Web.Services;

/// <summary>What changed on a training result: its status, or a new epoch of its history.</summary>
public enum ResultChangeKind
{
    Status,
    Epoch,
}

/// <summary>One change of a training result, as <see cref="ResultsNotifier"/> announces it.</summary>
/// <param name="Epoch">The epoch reported, for <see cref="ResultChangeKind.Epoch"/>.</param>
public sealed record ResultChange(int ResultId, int DeploymentId, ResultChangeKind Kind, TrainingStatus Status, int? Epoch = null);

/// <summary>
/// Tells live pages that a training result changed (status, or a new epoch), so charts and status chips update
/// without a reload. A singleton: components subscribe to one result or to all, call back through
/// <c>InvokeAsync</c> and dispose the subscription in their own <c>Dispose</c>. Announcements happen after the
/// change is saved; a failing subscriber never affects the others nor the caller.
/// </summary>
public sealed class ResultsNotifier(ILogger<ResultsNotifier> logger)
{
    private const int AllResults = 0;
    private readonly Lock gate = new();
    private readonly Dictionary<int, HashSet<Subscription>> subscribers = [];

    /// <summary>Calls <paramref name="callback"/> on every change of result <paramref name="resultId"/> until disposed.</summary>
    public IDisposable Subscribe(int resultId, Func<ResultChange, Task> callback)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(resultId);
        return Add(resultId, callback);
    }

    /// <summary>Calls <paramref name="callback"/> on every change of any result until disposed (filter by <see cref="ResultChange.DeploymentId"/> for one deployment).</summary>
    public IDisposable SubscribeAll(Func<ResultChange, Task> callback) => Add(AllResults, callback);

    public Task NotifyStatusAsync(int resultId, int deploymentId, TrainingStatus status) =>
        NotifyAsync(new ResultChange(resultId, deploymentId, ResultChangeKind.Status, status));

    public Task NotifyEpochAsync(int resultId, int deploymentId, TrainingStatus status, int epoch) =>
        NotifyAsync(new ResultChange(resultId, deploymentId, ResultChangeKind.Epoch, status, epoch));

    public async Task NotifyAsync(ResultChange change)
    {
        Subscription[] targets;
        lock (gate)
        {
            targets = [.. Get(change.ResultId), .. Get(AllResults)];
        }
        foreach (var target in targets)
        {
            try
            {
                await target.Callback(change);
            }
            catch (Exception e)
            {
                logger.LogWarning(e, "A subscriber to result {ResultId} failed on its {Kind} change", change.ResultId, change.Kind);
            }
        }
    }

    private IEnumerable<Subscription> Get(int key) => subscribers.TryGetValue(key, out var set) ? set : [];

    private Subscription Add(int key, Func<ResultChange, Task> callback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        var subscription = new Subscription(this, key, callback);
        lock (gate)
        {
            if (!subscribers.TryGetValue(key, out var set)) subscribers[key] = set = [];
            set.Add(subscription);
        }
        return subscription;
    }

    private void Remove(Subscription subscription)
    {
        lock (gate)
        {
            if (subscribers.TryGetValue(subscription.Key, out var set) && set.Remove(subscription) && set.Count == 0)
                subscribers.Remove(subscription.Key);
        }
    }

    private sealed class Subscription(ResultsNotifier owner, int key, Func<ResultChange, Task> callback) : IDisposable
    {
        public int Key => key;

        public Func<ResultChange, Task> Callback => callback;

        public void Dispose() => owner.Remove(this);
    }
}
