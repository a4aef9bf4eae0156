using System.Globalization;
using System.Runtime.CompilerServices;
using KafkaMl.Core.Control;
using KafkaMl.Core.Formats;
using KafkaMl.Core.Orchestration;
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

    /// <summary>The labelled samples of the control message's <c>topic</c> ranges, each message decoded or the job failed.</summary>
    internal static async Task<SampleSet> ReadRangesAsync(TrainingRun run, CancellationToken cancellationToken)
    {
        var control = run.Control;
        var decoder = run.CreateDecoder();
        var samples = await RangeSampleReader.ReadAsync(run, control.GetRanges(), control.Topic, (builder, message) =>
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
                builder.Add(sample);
            }
            catch (TrainingException e)
            {
                throw new TrainingJobException(string.Create(CultureInfo.InvariantCulture,
                    $"The message at offset {message.Offset.Value} of topic {message.Topic} partition {message.Partition.Value} does not match the messages before it: {e.Message}"), e);
            }
        }, cancellationToken);
        return samples ?? throw new TrainingJobException($"The ranges {control.Topic} hold no message to train on.");
    }
}
