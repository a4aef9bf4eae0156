namespace KafkaMl.Web.Components.Shared;

/// <summary>
/// Coalesces bursts of change notifications into at most one refresh per interval: the first request after a quiet
/// period refreshes at once, requests arriving meanwhile collapse into one more refresh when the interval has
/// passed. Never runs two refreshes at the same time. Components create one, call <see cref="Request"/> from their
/// notifier callback and dispose it in their own <c>Dispose</c>; the refresh handles its own errors (it runs detached).
/// </summary>
public sealed class RefreshThrottle(Func<Task> refresh, TimeSpan interval, TimeProvider? time = null) : IDisposable
{
    private readonly TimeProvider clock = time ?? TimeProvider.System;
    private readonly CancellationTokenSource stop = new();
    private readonly SemaphoreSlim running = new(1, 1);
    private int scheduled;
    private long lastStart = long.MinValue;

    /// <summary>Asks for a refresh; returns at once (the refresh runs now or when the interval has passed).</summary>
    public void Request()
    {
        if (stop.IsCancellationRequested || Interlocked.Exchange(ref scheduled, 1) == 1) return;
        _ = RunAsync();
    }

    private async Task RunAsync()
    {
        try
        {
            var last = Interlocked.Read(ref lastStart);
            if (last != long.MinValue)
            {
                var wait = interval - clock.GetElapsedTime(last);
                if (wait > TimeSpan.Zero) await Task.Delay(wait, clock, stop.Token);
            }
            await running.WaitAsync(stop.Token);
            try
            {
                Interlocked.Exchange(ref lastStart, clock.GetTimestamp());
                // Cleared before refreshing: a change during the refresh schedules the next one instead of being lost.
                Volatile.Write(ref scheduled, 0);
                await refresh();
            }
            finally
            {
                running.Release();
            }
        }
        catch (OperationCanceledException)
        {
            // Disposed while waiting.
        }
        catch (ObjectDisposedException)
        {
            // The component went away (its renderer is disposed).
        }
    }

    public void Dispose()
    {
        stop.Cancel();
        stop.Dispose();
    }
}
