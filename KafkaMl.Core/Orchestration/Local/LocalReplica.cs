using System.Diagnostics;

namespace KafkaMl.Core.Orchestration.Local;

/// <summary>One run of a replica's process: the process, its output pumps and how long it has run.</summary>
/// <param name="AdoptedStartTicks">Set for a process an earlier portal started: its start time, which tells it from a later process reusing its id.</param>
internal sealed record ReplicaRun(Process Process, Task Output, Stopwatch Clock, long? AdoptedStartTicks = null)
{
    public TimeSpan Elapsed => Clock.Elapsed;
}

/// <summary>
/// One replica of a <see cref="LocalJob"/>: its current process, restarts, how it last ended and its recent output
/// lines (the reason of a failure).
/// </summary>
internal sealed class LocalReplica(int index, int reasonLines)
{
    private readonly Queue<string> _errors = new();
    private readonly Queue<string> _output = new();

    public int Index { get; } = index;

    /// <summary>Guards <see cref="Process"/> against a stop racing a (re)start.</summary>
    public object Gate { get; } = new();

    public CancellationTokenSource Stopping { get; } = new();

    public Process? Process { get; set; }

    public DateTimeOffset? StartedAt { get; set; }

    public int Restarts { get; set; }

    public int? LastExitCode { get; set; }

    public string? LastExit { get; set; }

    public Task Supervision { get; set; } = Task.CompletedTask;

    public bool IsRunning
    {
        get { lock (Gate) return Process is not null; }
    }

    public void ClearRecent()
    {
        lock (_errors)
        {
            _errors.Clear();
            _output.Clear();
        }
    }

    public void Remember(string line, bool isError)
    {
        if (string.IsNullOrWhiteSpace(line)) return;
        lock (_errors)
        {
            var queue = isError ? _errors : _output;
            queue.Enqueue(line.Length > 500 ? string.Concat(line.AsSpan(0, 500), " …") : line);
            while (queue.Count > Math.Max(1, reasonLines)) queue.Dequeue();
        }
    }

    /// <summary>The last standard-error lines, or the last output lines when nothing went to standard error.</summary>
    public IReadOnlyList<string> RecentLines()
    {
        lock (_errors) return _errors.Count > 0 ? [.. _errors] : [.. _output];
    }

    public LocalReplicaInfo Info()
    {
        lock (Gate)
        {
            int? pid = null;
            try
            {
                pid = Process?.Id;
            }
            catch (InvalidOperationException)
            {
                // Exited and disposed.
            }
            return new LocalReplicaInfo(Index, pid, StartedAt, Restarts, LastExit);
        }
    }
}
