using System.Diagnostics;

namespace KafkaMl.Web.Cli.Bench;

/// <summary>
/// Notes when each block of <c>block</c> acknowledged messages completes, polling the delivered
/// count every millisecond on its own thread (so the sending thread is not slowed down).
/// </summary>
internal sealed class BlockClock : IDisposable
{
    private readonly Func<long> _delivered;
    private readonly int _block;
    private readonly Stopwatch _clock;
    private readonly List<TimeSpan> _crossings = [];
    private readonly Thread _thread;
    private long _next;
    private volatile bool _stop;

    public BlockClock(Func<long> delivered, int block, Stopwatch clock)
    {
        _delivered = delivered;
        _block = block;
        _clock = clock;
        _next = block;
        _thread = new Thread(Poll) { IsBackground = true, Name = "bench block clock" };
        _thread.Start();
    }

    /// <summary>Stops polling; when each complete block was acknowledged, from the start of the run.</summary>
    public IReadOnlyList<TimeSpan> Finish()
    {
        Dispose();
        return _crossings;
    }

    public void Dispose()
    {
        if (_stop) return;
        _stop = true;
        _thread.Join();
        Check();
    }

    private void Poll()
    {
        while (!_stop)
        {
            Check();
            Thread.Sleep(1);
        }
    }

    private void Check()
    {
        var delivered = _delivered();
        while (delivered >= _next)
        {
            _crossings.Add(_clock.Elapsed);
            _next += _block;
        }
    }
}
