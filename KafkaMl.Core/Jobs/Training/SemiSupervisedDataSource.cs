using System.Globalization;
using System.Runtime.CompilerServices;
using KafkaMl.Core.Control;
using KafkaMl.Core.Domain;
using KafkaMl.Core.Orchestration;
using KafkaMl.Core.Streaming;
using KafkaMl.Core.Training;

namespace KafkaMl.Core.Jobs.Training;

/// <summary>
/// The data of a bounded semi-supervised run: the labelled samples of the control message's <c>topic</c> ranges
/// (yielded first), then the unlabelled pool of its <c>unsupervised_topic</c> ranges, read once (yielded second, when
/// any message of it decoded). Both come in the model's input shape.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><b>Unlabelled messages</b> come the Kafka-ML way: a dummy key (one byte <c>0</c>) and the data as value;
/// only the value is decoded (<see cref="UnlabelledDecoder"/>).</item>
/// <item><b>A message that does not decode</b> is counted, logged and sent to <c>&lt;topic&gt;.dlq</c>
/// (<see cref="DeadLetterWriter"/>); it never stops the job (the labelled data, by contrast, must all decode:
/// <see cref="RangeDataSource"/>).</item>
/// <item><b>A pool of another shape</b> than the labelled samples fails the run, naming both shapes.</item>
/// </list>
/// </remarks>
public sealed class SemiSupervisedDataSource : ITrainingDataSource
{
    private readonly RangeDataSource _labelled = new();

    public TrainingDataReport Describe(TrainingRun run) => _labelled.Describe(run);

    public async IAsyncEnumerable<SampleSet> ReadAsync(TrainingRun run, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var labelled = await RangeDataSource.ReadRangesAsync(run, cancellationToken);
        var pool = await ReadPoolAsync(run, cancellationToken);
        if (pool is not null) CheckShape(run, labelled, pool, "the unlabelled samples of unsupervised_topic");
        yield return SampleShapes.FitInputShape(labelled, run.Definition, run.Log);
        if (pool is not null) yield return SampleShapes.FitInputShape(pool, run.Definition, null);
    }

    /// <summary>The unlabelled pool of the <c>unsupervised_topic</c> ranges; null when none of its messages decoded.</summary>
    private static async Task<SampleSet?> ReadPoolAsync(TrainingRun run, CancellationToken cancellationToken)
    {
        var topic = run.Control.UnsupervisedTopic ?? throw new InvalidOperationException("A semi-supervised mode runs only for a control message with an unsupervised_topic.");
        var decoder = new UnlabelledDecoder(run.CreateDecoder());
        using var deadLetters = new DeadLetterWriter(run.Context, $"kafkaml-train-{run.Context.ResultId}-dlq", run.Log);
        var ranges = TopicRanges.Parse(topic);
        var pool = await RangeSampleReader.ReadAsync(run, ranges, $"unsupervised_topic {topic}",
            (builder, message) => deadLetters.TryAdd(builder, decoder, message!), cancellationToken);
        if (deadLetters.Count > 0)
        {
            run.Say(string.Create(CultureInfo.InvariantCulture,
                $"{deadLetters.Count} unlabelled messages could not be decoded: skipped (copies went to {string.Join(", ", ranges.Select(r => TopicNames.DeadLetter(r.Topic)).Distinct())})"));
        }
        run.Say(pool is null
            ? "the unlabelled pool is empty: no message of unsupervised_topic decoded"
            : string.Create(CultureInfo.InvariantCulture, $"unlabelled pool: {pool.Count} samples of shape {SampleSet.Describe(pool.FeatureShape)}"));
        return pool;
    }

    /// <summary>Fails the run when <paramref name="unlabelled"/> has another sample shape than <paramref name="labelled"/>, naming both.</summary>
    internal static void CheckShape(TrainingRun run, SampleSet labelled, SampleSet unlabelled, string what)
    {
        if (labelled.FeatureShape.SequenceEqual(unlabelled.FeatureShape)) return;
        throw new TrainingJobException(
            $"The labelled samples of topic '{run.Control.Topic}' have shape {SampleSet.Describe(labelled.FeatureShape)} ({labelled.FeatureSize} values), "
            + $"but {what} '{run.Control.UnsupervisedTopic}' have shape {SampleSet.Describe(unlabelled.FeatureShape)} ({unlabelled.FeatureSize} values). "
            + "Send unlabelled samples of the labelled samples' shape (and the same input_config).");
    }

    internal static SemiSupervisedSettings Settings(TrainingRun run) =>
        run.Spec.SemiSupervised ?? throw new InvalidOperationException("A semi-supervised mode runs only for a semi-supervised deployment.");
}

/// <summary>
/// The data of an incremental semi-supervised run, in the order Kafka-ML sends it: the labelled samples of the
/// control message's <c>topic</c> ranges (measured first, <c>total_msg</c> of them) yielded first, then the open
/// unlabelled stream its <c>unsupervised_topic</c> names (a bare topic) in windows
/// (<see cref="StreamDataSource.ReadWindowsAsync"/>: values only, bad messages dead-lettered, offsets committed by the
/// loop after a version). A window of another shape than the labelled samples fails the run, naming both.
/// </summary>
public sealed class SemiSupervisedStreamSource(StreamProgress progress) : ITrainingDataSource
{
    private readonly RangeDataSource _labelled = new();

    public TrainingDataReport Describe(TrainingRun run) => _labelled.Describe(run);

    public async IAsyncEnumerable<SampleSet> ReadAsync(TrainingRun run, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var labelled = await RangeDataSource.ReadRangesAsync(run, cancellationToken);
        yield return SampleShapes.FitInputShape(labelled, run.Definition, run.Log);
        var topic = run.Control.UnsupervisedTopic ?? throw new InvalidOperationException("A semi-supervised mode runs only for a control message with an unsupervised_topic.");
        await foreach (var window in new StreamDataSource(progress).ReadWindowsAsync(run, topic, unlabelled: true, cancellationToken))
        {
            SemiSupervisedDataSource.CheckShape(run, labelled, window, "the unlabelled stream of unsupervised_topic");
            yield return SampleShapes.FitInputShape(window, run.Definition, null);
        }
    }
}
