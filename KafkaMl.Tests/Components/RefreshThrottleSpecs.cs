using KafkaMl.Web.Components.Shared;

namespace KafkaMl.Tests.Components;

public sealed class RefreshThrottleSpecs
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(500);
    private readonly ManualTime time = new();
    private int refreshes;
    private TaskCompletionSource refreshed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private RefreshThrottle NewThrottle() => new(() =>
    {
        Interlocked.Increment(ref refreshes);
        refreshed.TrySetResult();
        return Task.CompletedTask;
    }, Interval, time);

    [Fact]
    public void The_first_request_refreshes_at_once()
    {
        using var throttle = NewThrottle();

        throttle.Request();

        Assert.Equal(1, refreshes);
    }

    [Fact]
    public async Task A_burst_within_the_interval_makes_one_more_refresh_when_it_has_passed()
    {
        using var throttle = NewThrottle();
        throttle.Request();
        refreshed = new(TaskCreationOptions.RunContinuationsAsynchronously);

        throttle.Request();
        throttle.Request();
        throttle.Request();
        Assert.Equal(1, refreshes);
        time.Advance(Interval);
        await refreshed.Task.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(2, refreshes);
    }

    [Fact]
    public void A_disposed_throttle_refreshes_no_more()
    {
        var throttle = NewThrottle();
        throttle.Request();
        throttle.Request();

        throttle.Dispose();
        time.Advance(Interval);
        throttle.Request();

        Assert.Equal(1, refreshes);
    }

    /// <summary>A clock that moves only when told; timers fire as it passes their due time.</summary>
    private sealed class ManualTime : TimeProvider
    {
        private readonly List<ManualTimer> timers = [];
        private long now;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => Interlocked.Read(ref now);

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = new ManualTimer(callback, state, GetTimestamp() + dueTime.Ticks);
            lock (timers) timers.Add(timer);
            return timer;
        }

        public void Advance(TimeSpan by)
        {
            Interlocked.Add(ref now, by.Ticks);
            ManualTimer[] due;
            lock (timers)
            {
                due = timers.Where(t => t.Due <= now).ToArray();
                timers.RemoveAll(due.Contains);
            }
            foreach (var timer in due) timer.Fire();
        }
    }

    private sealed class ManualTimer(TimerCallback callback, object? state, long due) : ITimer
    {
        private bool disposed;

        public long Due => due;

        public void Fire()
        {
            if (!disposed) callback(state);
        }

        public bool Change(TimeSpan dueTime, TimeSpan period) => false;

        public void Dispose() => disposed = true;

        public ValueTask DisposeAsync()
        {
            disposed = true;
            return ValueTask.CompletedTask;
        }
    }
}
