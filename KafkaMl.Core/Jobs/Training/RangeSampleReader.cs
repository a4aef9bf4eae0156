using System.Globalization;
using Confluent.Kafka;
using KafkaMl.Core.Control;
using KafkaMl.Core.Streaming;
using KafkaMl.Core.Training;

namespace KafkaMl.Core.Jobs.Training;

/// <summary>
/// Reads bounded topic:partition:start:end ranges into one sample set, whatever the messages are (the labelled data
/// of <see cref="RangeDataSource"/>, the unlabelled pool of <see cref="SemiSupervisedDataSource"/>): how each message
/// becomes a sample, or what happens when it cannot, is the caller's <c>take</c>.
/// </summary>
/// <remarks>
/// <b>Sample order</b> is the order of the ranges, then offsets, whatever order the partitions arrive in (decoded
/// straight into one builder per range, put together at the end), so a seeded shuffle gives the same split every time.
/// </remarks>
internal static class RangeSampleReader
{
    /// <summary>
    /// The samples of <paramref name="ranges"/>, or null when no message became one. <paramref name="take"/> adds a
    /// message to the builder of its range (or sets it aside); an exception it throws ends the read.
    /// </summary>
    /// <param name="what">How the log names the ranges (e.g. the control message's <c>topic</c>).</param>
    public static async Task<SampleSet?> ReadAsync(
        TrainingRun run,
        IReadOnlyList<TopicRange> ranges,
        string what,
        Action<SampleSet.Builder, ConsumeResult<byte[], byte[]>> take,
        CancellationToken cancellationToken)
    {
        var context = run.Context;
        run.Say(string.Create(CultureInfo.InvariantCulture, $"reading {TopicRanges.Total(ranges)} messages from {what}"));
        var builders = ranges.Select(r => SampleSet.CreateBuilder((int)Math.Min(r.Count, 1 << 20))).ToArray();
        var reader = new RangeReader(context.BootstrapServers, $"kafkaml-train-{context.ResultId}", new RangeReaderOptions
        {
            MissingDataTimeout = context.MissingDataTimeout,
            Settings = context.KafkaSettings,
            Logger = context.KafkaLogger,
        });
        var summary = await reader.ReadAsync(ranges, (index, message) => take(builders[index], message), cancellationToken);
        run.Say(string.Create(CultureInfo.InvariantCulture,
            $"read {summary.Messages} messages from {what} in {summary.Elapsed.TotalSeconds:0.##} s{(summary.Absent > 0 ? $" ({summary.Absent} offsets of the ranges held no message: compacted away)" : "")}"));

        var parts = new List<SampleSet>(ranges.Count);
        for (var i = 0; i < ranges.Count; i++)
        {
            if (builders[i].Count == 0) continue;
            var part = builders[i].Build();
            builders[i] = SampleSet.CreateBuilder();
            if (parts.Count > 0 && SampleSet.Mismatch(parts[0], part) is { } problem)
                throw new TrainingJobException($"The messages of the range {ranges[i]} do not match the messages before them: {problem}");
            parts.Add(part);
        }
        return parts.Count == 0 ? null : SampleSet.Concat(parts);
    }
}
