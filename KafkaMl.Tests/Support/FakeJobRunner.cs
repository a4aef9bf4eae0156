using System.Collections.Concurrent;

namespace KafkaMl.Tests.Support;

/// <summary>
/// An in-memory <see cref="IJobRunner"/> that records what it is asked: started specs, stopped names. Started jobs
/// are <see cref="JobPhase.Running"/> until a test sets another state; unknown names are <see cref="JobPhase.Unknown"/>.
/// </summary>
public sealed class FakeJobRunner : IJobRunner
{
    private readonly ConcurrentQueue<JobSpec> started = new();
    private readonly ConcurrentQueue<string> stopped = new();
    private readonly ConcurrentQueue<(string Name, int Replicas)> scaled = new();
    private readonly ConcurrentDictionary<string, JobState> states = new();
    private readonly ConcurrentDictionary<string, string> logs = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource<JobSpec>> waiters = new();

    public string Kind => "fake";

    public IReadOnlyList<JobSpec> Started => [.. started];

    public IReadOnlyList<string> Stopped => [.. stopped];

    public IReadOnlyList<(string Name, int Replicas)> Scaled => [.. scaled];

    /// <summary>When set, <see cref="StartAsync"/> throws it.</summary>
    public Exception? StartFailure { get; set; }

    /// <summary>When set, <see cref="StopAsync"/> throws it.</summary>
    public Exception? StopFailure { get; set; }

    /// <summary>Runs when a job starts, before <see cref="StartAsync"/> returns (e.g. the job reporting at once).</summary>
    public Func<JobSpec, Task>? OnStart { get; set; }

    public void SetState(string name, JobState state) => states[name] = state;

    public void SetLog(string name, string log) => logs[name] = log;

    public async Task StartAsync(JobSpec spec, CancellationToken cancellationToken)
    {
        if (StartFailure is { } failure) throw failure;
        started.Enqueue(spec);
        states.TryAdd(spec.Name, new JobState(JobPhase.Running, ReadyReplicas: 1));
        if (OnStart is { } onStart) await onStart(spec);
        Waiter(spec.Name).TrySetResult(spec);
    }

    public Task StopAsync(string name, CancellationToken cancellationToken)
    {
        if (StopFailure is { } failure) throw failure;
        stopped.Enqueue(name);
        states.TryRemove(name, out _);
        return Task.CompletedTask;
    }

    public Task ScaleAsync(string name, int replicas, CancellationToken cancellationToken)
    {
        scaled.Enqueue((name, replicas));
        return Task.CompletedTask;
    }

    public Task<JobState> GetStateAsync(string name, CancellationToken cancellationToken) =>
        Task.FromResult(states.TryGetValue(name, out var state) ? state : new JobState(JobPhase.Unknown));

    public Task<string?> GetLogAsync(string name, int tailLines, CancellationToken cancellationToken) =>
        Task.FromResult(logs.TryGetValue(name, out var log) ? string.Join('\n', log.Split('\n').TakeLast(tailLines)) : null);

    /// <summary>The spec of job <paramref name="name"/> once it has been started (now or later).</summary>
    public Task<JobSpec> WaitForStartAsync(string name, TimeSpan timeout) => Waiter(name).Task.WaitAsync(timeout);

    private TaskCompletionSource<JobSpec> Waiter(string name) =>
        waiters.GetOrAdd(name, _ => new TaskCompletionSource<JobSpec>(TaskCreationOptions.RunContinuationsAsynchronously));
}
