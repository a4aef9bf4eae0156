using System.Globalization;
using System.Runtime.CompilerServices;
using KafkaMl.Core.Control;
using KafkaMl.Core.Formats;
using KafkaMl.Core.Orchestration;
using KafkaMl.Core.Streaming;
using KafkaMl.Core.Training;

namespace KafkaMl.Core.Jobs.Training;

/// <summary>
/// Reads exactly the bounded topic:partition:start:end ranges the control message names, into one sample set.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><b>Undecodable data fails the job</b>, naming the topic, partition and offset: training must see every
/// message the control message names, and a stream whose samples were silently dropped would give results
/// nobody could trust or reproduce. (Inference, by contrast, counts and dead-letters bad messages.)</item>
/// <item><b>Sample order</b> is the order of the ranges in the control message, then offsets, whatever order the
/// partitions arrive in — so the seeded shuffle gives the same split every time.</item>
/// </list>
/// </remarks>
public sealed class RangeDataSource : ITrainingDataSource
{
    public TrainingDataReport Describe(TrainingRun run)
    {
        var control = run.Control;
        var ranges = control.GetRanges();
        return new TrainingDataReport(
            control.Topic,
            DataFormats.TryGet(control.InputFormat, out var format) ? format.Name : control.InputFormat,
            control.InputConfig.ToJsonObject(),
            checked((int)(control.TotalMsg ?? TopicRanges.Total(ranges))),
            run.Settings.ValidationRate,
            run.Settings.TestRate);
    }

    public async IAsyncEnumerable<SampleSet> ReadAsync(TrainingRun run, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var samples = await ReadRangesAsync(run, cancellationToken);
        yield return SampleShapes.FitInputShape(samples, run.Definition, run.Log);
    }

    private static async Task<SampleSet> ReadRangesAsync(TrainingRun run, CancellationToken cancellationToken)
    {
        var (context, control) = (run.Context, run.Control);
        var ranges = control.GetRanges();
        IDataDecoder decoder;
        try
        {
            decoder = control.CreateDecoder();
        }
        catch (DataFormatException e)
        {
            throw new TrainingJobException($"The stream's format cannot be read: {e.Message}", e);
        }

        var total = TopicRanges.Total(ranges);
        run.Say(string.Create(CultureInfo.InvariantCulture, $"reading {total} messages from {control.Topic}"));
        // Decoded straight into one builder per range (contiguous arrays, so no message's arrays outlive it) and put
        // together in the control message's order at the end: partitions arrive interleaved.
        var builders = ranges.Select(r => SampleSet.CreateBuilder((int)Math.Min(r.Count, 1 << 20))).ToArray();
        var reader = new RangeReader(context.BootstrapServers, $"kafkaml-train-{context.ResultId}", new RangeReaderOptions
        {
            MissingDataTimeout = context.MissingDataTimeout,
            Settings = context.KafkaSettings,
            Logger = context.KafkaLogger,
        });
        var summary = await reader.ReadAsync(ranges, (index, message) =>
        {
            DecodedSample sample;
            try
            {
                sample = decoder.Decode(message.Message.Key ?? [], message.Message.Value ?? []);
            }
            catch (DataFormatException e)
            {
                throw new TrainingJobException(string.Create(CultureInfo.InvariantCulture,
                    $"The message at offset {message.Offset.Value} of topic {message.Topic} partition {message.Partition.Value} is not valid {decoder.Format} data for this stream: {e.Message} Training needs every message the control message names, so the job stops."), e);
            }
            try
            {
                builders[index].Add(sample);
            }
            catch (TrainingException e)
            {
                throw new TrainingJobException(string.Create(CultureInfo.InvariantCulture,
                    $"The message at offset {message.Offset.Value} of topic {message.Topic} partition {message.Partition.Value} does not match the messages before it: {e.Message}"), e);
            }
        }, cancellationToken);
        run.Say(string.Create(CultureInfo.InvariantCulture,
            $"read {summary.Messages} messages from {control.Topic} in {summary.Elapsed.TotalSeconds:0.##} s{(summary.Absent > 0 ? $" ({summary.Absent} offsets of the ranges held no message: compacted away)" : "")}"));
        if (summary.Messages == 0) throw new TrainingJobException($"The ranges {control.Topic} hold no message to train on.");

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
        return SampleSet.Concat(parts);
    }
}
