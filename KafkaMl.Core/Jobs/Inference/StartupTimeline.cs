using System.Diagnostics;
using System.Globalization;

namespace KafkaMl.Core.Jobs.Inference;

/// <summary>
/// Where a replica's start-up goes, phase by phase, from the moment its process started: the .NET runtime
/// until <c>infer</c> runs, then each phase <see cref="Mark"/>ed as it ends (loading TorchSharp, fetching the spec
/// and weights, compiling and building the model, joining the group). Printed once as the replica's
/// <c>startup</c> line, so a slow deploy → <c>running</c> says which phase to blame.
/// </summary>
public sealed class StartupTimeline
{
    private readonly Lock _gate = new();
    private readonly List<(string Phase, TimeSpan Took)> _phases = [];
    private readonly DateTime _processStart;
    private DateTime _last;

    public StartupTimeline()
    {
        _processStart = ProcessStart();
        _last = DateTime.UtcNow;
        _phases.Add(("runtime", _last - _processStart));
    }

    /// <summary>The phase that began at the previous mark (or at start) ends now.</summary>
    public void Mark(string phase)
    {
        lock (_gate)
        {
            var now = DateTime.UtcNow;
            _phases.Add((phase, now - _last));
            _last = now;
        }
    }

    /// <summary>E.g. <c>runtime 0.31 s, torch 0.45 s, model 1.92 s, group join 2.10 s; 4.8 s after the process started</c>.</summary>
    public string Text()
    {
        lock (_gate)
        {
            var phases = string.Join(", ", _phases.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Phase} {p.Took.TotalSeconds:0.00} s")));
            return string.Create(CultureInfo.InvariantCulture, $"{phases}; {(DateTime.UtcNow - _processStart).TotalSeconds:0.0} s after the process started");
        }
    }

    private static DateTime ProcessStart()
    {
        using var self = Process.GetCurrentProcess();
        return self.StartTime.ToUniversalTime();
    }
}
