using System.ComponentModel;
using System.Globalization;
using KafkaMl.Core.Orchestration.Local;

namespace KafkaMl.Core.Federated;

/// <summary>
/// Keeps one worker process (<see cref="SiteWorkerProcess"/>) per matched model of a site's agent: starts it, restarts
/// one that dies before its model is done (after a doubling backoff, 1 s up to 30 s, as a Deployment restarts a pod),
/// and stops it when the model closes or the agent stops. A worker that exits 0 (it evaluated the final weights) or gives
/// up (<see cref="SiteWorkerProcess.GaveUpExitCode"/>: its dataset cannot be trained on) is not started again.
/// </summary>
public sealed class SiteWorkerSupervisor(SiteOptions options, IProgress<string> log) : IAsyncDisposable
{
    /// <summary>How long a worker may take to stop after SIGTERM before it is killed.</summary>
    public static readonly TimeSpan StopGracePeriod = TimeSpan.FromSeconds(10);

    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);

    private readonly Dictionary<int, Slot> _slots = [];
    private readonly List<Task> _stopping = [];
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"kafkaml-agent-{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}");

    /// <summary>Whether the model of <paramref name="resultId"/> has (or had) a worker here.</summary>
    public bool Has(int resultId) => _slots.ContainsKey(resultId);

    /// <summary>Runs a worker for <paramref name="model"/> on <paramref name="dataset"/> from the next <see cref="Supervise"/> on.</summary>
    public void Add(ModelAnnouncement model, SiteDataset dataset) => _slots[model.ResultId] = new Slot(WorkerAssignment.For(options, model, dataset));

    /// <summary>
    /// The model of <paramref name="resultId"/> closed: its worker is not restarted, and one still running is stopped
    /// after <see cref="StopGracePeriod"/> (the usual case is a worker that sent its final evaluation and is exiting).
    /// </summary>
    public void Close(int resultId)
    {
        if (!_slots.TryGetValue(resultId, out var slot) || slot.Done) return;
        slot.Done = true;
        slot.StopAt = DateTime.UtcNow + StopGracePeriod;
    }

    /// <summary>Notes the workers that exited, stops those whose model closed a grace period ago, and (re)starts those that are due.</summary>
    public void Supervise()
    {
        foreach (var (resultId, slot) in _slots.Where(s => s.Value.Process is not null || !s.Value.Done))
        {
            if (slot.Process is { HasExited: true } exited) Exited(resultId, slot, exited);
            else if (slot.Process is { } running && slot.Done && DateTime.UtcNow >= slot.StopAt)
            {
                log.Report($"stopping the worker of result {resultId}: its model closed");
                _stopping.Add(StopAsync(running));
                slot.Process = null;
            }
            if (slot.Process is null && !slot.Done && DateTime.UtcNow >= slot.StartAt) Start(resultId, slot);
        }
    }

    private void Exited(int resultId, Slot slot, SiteWorkerProcess process)
    {
        var code = process.ExitCode;
        process.Dispose();
        slot.Process = null;
        if (code == 0 || code == SiteWorkerProcess.GaveUpExitCode)
        {
            slot.Done = true;
            log.Report(code == 0 ? $"the worker of result {resultId} is done" : $"the worker of result {resultId} gave up (see its lines above); it is not restarted");
            return;
        }
        if (slot.Done)
        {
            log.Report($"the worker of result {resultId} stopped ({ProcessSignals.DescribeExitCode(code)}) as its model closed");
            return;
        }
        Retry(resultId, slot, $"stopped unexpectedly ({ProcessSignals.DescribeExitCode(code)})");
    }

    private void Start(int resultId, Slot slot)
    {
        try
        {
            slot.Process = SiteWorkerProcess.Start(slot.Assignment, _directory, log);
            log.Report($"the worker of result {resultId} started (pid {slot.Process.Id.ToString(CultureInfo.InvariantCulture)})");
        }
        catch (Exception e) when (e is Win32Exception or IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            Retry(resultId, slot, $"could not start: {e.Message}");
        }
    }

    private void Retry(int resultId, Slot slot, string what)
    {
        var delay = TimeSpan.FromSeconds(Math.Min(MaxBackoff.TotalSeconds, Math.Pow(2, slot.Failures)));
        slot.Failures++;
        slot.StartAt = DateTime.UtcNow + delay;
        log.Report($"the worker of result {resultId} {what}; starting it again in {ReplicaProcess.Describe(delay)}");
    }

    private static async Task StopAsync(SiteWorkerProcess process)
    {
        await process.StopAsync(StopGracePeriod);
        process.Dispose();
    }

    /// <summary>Stops every running worker (SIGTERM, then a kill after the grace period) and removes the assignment files.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var slot in _slots.Values.Where(s => s.Process is not null))
        {
            _stopping.Add(StopAsync(slot.Process!));
            slot.Process = null;
        }
        await Task.WhenAll(_stopping);
        try
        {
            if (Directory.Exists(_directory)) Directory.Delete(_directory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Left in the temporary directory; the workers deleted the files they read.
        }
    }

    private sealed class Slot(WorkerAssignment assignment)
    {
        public WorkerAssignment Assignment { get; } = assignment;
        public SiteWorkerProcess? Process { get; set; }
        public int Failures { get; set; }
        public DateTime StartAt { get; set; } = DateTime.UtcNow;
        public DateTime StopAt { get; set; } = DateTime.MaxValue;
        public bool Done { get; set; }
    }
}
