namespace KafkaMl.Tests.Support;

/// <summary>
/// The suite's one way to wait for something that should happen: probe, and probe again every
/// <see cref="Interval"/>, until it holds or <see cref="Patience"/> runs out. Tests never assert how fast
/// something happens (timed assertions are flaky on a shared 2-core machine); they only wait for it.
/// </summary>
public static class Eventually
{
    /// <summary>
    /// The longest any test waits for something that should happen: a process start, a job's training, a message's
    /// arrival. Generous because the machine is shared with the rest of the suite; a passing test never waits it out.
    /// </summary>
    public static readonly TimeSpan Patience = TimeSpan.FromMinutes(4);

    /// <summary>How long to wait between two probes.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(50);

    /// <summary>Probes until <paramref name="done"/> accepts the value; returns it. Throws naming <paramref name="what"/> and the last value.</summary>
    public static Task<T> Until<T>(Func<Task<T>> probe, Func<T, bool> done, string what, TimeSpan? interval = null) =>
        Until(probe, done, last => $"{what}; last saw {last}", interval);

    /// <summary>
    /// Probes until <paramref name="done"/> accepts the value; returns it. At the timeout, <paramref name="waitingFor"/>
    /// describes what was awaited from the last value (so the failure can carry a job's log or a service's counters).
    /// </summary>
    public static Task<T> Until<T>(Func<Task<T>> probe, Func<T, bool> done, Func<T, string> waitingFor, TimeSpan? interval = null) =>
        Until(probe, done, last => Task.FromResult(waitingFor(last)), interval);

    /// <summary>As above, for a description that must itself be fetched (e.g. a job log over HTTP).</summary>
    public static async Task<T> Until<T>(Func<Task<T>> probe, Func<T, bool> done, Func<T, Task<string>> waitingFor, TimeSpan? interval = null)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            var value = await probe();
            if (done(value)) return value;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Timed out after {Patience} waiting for {await waitingFor(value)}");
            await Task.Delay(interval ?? Interval, CancellationToken.None);
        }
    }

    /// <summary>Probes until <paramref name="done"/> accepts the value; returns it.</summary>
    public static Task<T> Until<T>(Func<T> probe, Func<T, bool> done, Func<T, string> waitingFor, TimeSpan? interval = null) =>
        Until(() => Task.FromResult(probe()), done, waitingFor, interval);

    /// <summary>Probes until <paramref name="done"/> accepts the value; returns it.</summary>
    public static Task<T> Until<T>(Func<T> probe, Func<T, bool> done, string what, TimeSpan? interval = null) =>
        Until(() => Task.FromResult(probe()), done, what, interval);

    /// <summary>Waits until <paramref name="condition"/> holds.</summary>
    public static Task Until(Func<Task<bool>> condition, string what, TimeSpan? interval = null) =>
        Until(condition, holds => holds, what, interval);

    /// <summary>Waits until <paramref name="condition"/> holds.</summary>
    public static Task Until(Func<bool> condition, string what, TimeSpan? interval = null) =>
        Until(() => Task.FromResult(condition()), holds => holds, what, interval);
}
