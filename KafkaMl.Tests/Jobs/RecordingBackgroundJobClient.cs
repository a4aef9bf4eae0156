using System.Collections.Concurrent;
using Hangfire;
using Hangfire.Common;
using Hangfire.States;

namespace KafkaMl.Tests.Jobs;

/// <summary>An <see cref="IBackgroundJobClient"/> that keeps the jobs enqueued instead of running them.</summary>
public sealed class RecordingBackgroundJobClient : IBackgroundJobClient
{
    private readonly ConcurrentQueue<Job> jobs = new();
    private int next;

    public IReadOnlyList<Job> Jobs => [.. jobs];

    /// <summary>The first arguments of the enqueued calls of <typeparamref name="TJob"/>, in order.</summary>
    public IReadOnlyList<object?> FirstArgumentsOf<TJob>() =>
        jobs.Where(j => j.Type == typeof(TJob)).Select(j => j.Args[0]).ToList();

    public string Create(Job job, IState state)
    {
        jobs.Enqueue(job);
        return Interlocked.Increment(ref next).ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    public bool ChangeState(string jobId, IState state, string expectedState) => true;
}
