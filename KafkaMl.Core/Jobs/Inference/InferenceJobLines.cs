using System.Globalization;
using KafkaMl.Core.Inference;

namespace KafkaMl.Core.Jobs.Inference;

/// <summary>
/// The lines a replica prints, one each: <c>replica 0 of inference 3 consuming in -> out, group g</c>,
/// <c>replica 0 assigned [0, 1]</c>, periodic <c>replica 0 stats: ...</c> lines and <c>replica 0 stopped: ...</c>.
/// </summary>
public static class InferenceJobLines
{
    /// <summary>Every line starts with this, then the replica's name.</summary>
    public const string LinePrefix = "replica ";

    /// <summary>The line of an engine event, or null for events that print none.</summary>
    public static string? Progress(InferenceProgress p, InferenceSetup setup)
    {
        var options = setup.Options;
        var replica = options.Replica;
        return p.Kind switch
        {
            InferenceProgressKind.Subscribed =>
                $"{LinePrefix}{replica} {setup.Description}consuming {options.InputTopic} -> {options.OutputTopic}, group {options.ConsumerGroup}, " +
                $"model {options.ModelName}, dead letters to {options.DeadLetterTopic}",
            InferenceProgressKind.Assigned => $"{LinePrefix}{replica} assigned {Partitions(p.Partitions)}, holds {Partitions(p.Assignment)}",
            InferenceProgressKind.Revoked => $"{LinePrefix}{replica} revoked {Partitions(p.Partitions)}, holds {Partitions(p.Assignment)}",
            InferenceProgressKind.Lost => $"{LinePrefix}{replica} lost {Partitions(p.Partitions)}, holds {Partitions(p.Assignment)}",
            InferenceProgressKind.VersionSwapped => $"{LinePrefix}{replica} serves model version {p.ModelVersion} (was {Version(p.PreviousVersion)})",
            InferenceProgressKind.Stopping => $"{LinePrefix}{replica} stopping: delivering predictions in flight, committing offsets",
            _ => null,
        };
    }

    /// <summary>Once, at the first assignment: where the start-up went (<see cref="StartupTimeline"/>).</summary>
    public static string Startup(string replica, StartupTimeline startup) => $"{LinePrefix}{replica} startup: {startup.Text()}";

    public static string Stats(string replica, InferenceStats stats) => $"{LinePrefix}{replica} stats: {StatsText(stats)}";

    /// <summary>The replica loads <paramref name="version"/> in the background while it serves <paramref name="served"/>.</summary>
    public static string Loading(string replica, int version, int? served) =>
        $"{LinePrefix}{replica} loading model version {version} (serving {Version(served)})";

    /// <summary>The replica will not serve <paramref name="version"/>: it would not load; it keeps serving <paramref name="served"/>.</summary>
    public static string Refused(string replica, int version, int? served, string reason) =>
        $"{LinePrefix}{replica} refused model version {version}, still serving {Version(served)}: {reason}";

    public static string Gone(string replica) => $"{LinePrefix}{replica}: the portal says the inference was deleted or stopped; stopping";

    public static string Stopped(string replica, InferenceStats stats) => $"{LinePrefix}{replica} stopped: {StatsText(stats)}";

    private static string StatsText(InferenceStats stats)
    {
        var (p50, p99) = stats.Latency();
        return string.Create(CultureInfo.InvariantCulture,
            $"in {stats.MessagesIn}, out {stats.MessagesOut}, errors {stats.Errors}, dead-lettered {stats.DeadLettered}, " +
            $"batches {stats.Batches} (largest {stats.LargestBatch}), latency p50 {Ms(p50)} p99 {Ms(p99)}{ServedVersion(stats)}");
    }

    private static string ServedVersion(InferenceStats stats) =>
        stats.ModelVersion is { } version ? string.Create(CultureInfo.InvariantCulture, $", model version {version}") : "";

    private static string Version(int? version) => version?.ToString(CultureInfo.InvariantCulture) ?? "none";

    private static string Ms(double? ms) => ms is { } m ? m.ToString("0.0", CultureInfo.InvariantCulture) + " ms" : "-";

    private static string Partitions(IReadOnlyList<int> partitions) => "[" + string.Join(", ", partitions) + "]";
}
