using System.Globalization;
using System.Runtime.CompilerServices;
using KafkaMl.Core.Domain;
using KafkaMl.Core.Formats;
using KafkaMl.Core.Orchestration;
using KafkaMl.Core.Training;

namespace KafkaMl.Core.Jobs.Training;

/// <summary>What an incremental run's data source and training loop share: how far the stream was read.</summary>
public sealed class StreamProgress
{
    /// <summary>Decoded samples handed to training so far (in windows the loop trained on, plus the one it trains now).</summary>
    public long SamplesSeen { get; internal set; }

    /// <summary>Windows read so far.</summary>
    public int Windows { get; internal set; }

    /// <summary>Messages that did not decode and went to the dead-letter topic.</summary>
    public long DeadLettered { get; internal set; }

    /// <summary>
    /// Commits the stream's offsets after every window read so far: called when a model version trained on them was
    /// published, so the committed offsets and the last version always go together (a job started again resumes from
    /// both). Null while the stream is not open.
    /// </summary>
    internal Action? Checkpoint { get; set; }

    /// <summary>
    /// The stream's position after every window read so far (<see cref="ModelVersionReport.StreamOffsets"/>), published
    /// with each version. Null while the stream is not open.
    /// </summary>
    internal Func<IReadOnlyDictionary<string, long>>? Position { get; set; }

    /// <summary>
    /// Where a job started again reads on: the position published with the version it resumes from (empty: the
    /// group's committed offsets). Set by <see cref="IncrementalResume"/>.
    /// </summary>
    internal IReadOnlyDictionary<string, long> ResumeAt { get; set; } = new Dictionary<string, long>();
}

/// <summary>
/// The open stream an online control message announces (a bare topic), read in windows of
/// <see cref="IncrementalSettings.WindowSize"/> samples by a <see cref="StreamWindowReader"/>. A window closes early
/// when the stream is quiet for <see cref="QuietClose"/> (or the stream timeout, if shorter), so a slow stream still
/// trains. A time-limited stream ends when no message came for <see cref="IncrementalSettings.StreamTimeoutMs"/>; an
/// indefinite one runs until the job is stopped. Offsets are committed by the loop through
/// <see cref="StreamProgress.Checkpoint"/>, once a version trained on the windows read was published.
/// </summary>
public sealed class StreamDataSource(StreamProgress progress) : ITrainingDataSource
{
    /// <summary>The longest a partial window waits for more samples before it is trained on.</summary>
    public static readonly TimeSpan QuietClose = TimeSpan.FromSeconds(2);

    public TrainingDataReport Describe(TrainingRun run)
    {
        var control = run.Control;
        return new TrainingDataReport(
            control.Topic,
            DataFormats.TryGet(control.InputFormat, out var format) ? format.Name : control.InputFormat,
            control.InputConfig.ToJsonObject(),
            0, // an open stream has no total
            run.Settings.ValidationRate,
            0);
    }

    public async IAsyncEnumerable<SampleSet> ReadAsync(TrainingRun run, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var window in ReadWindowsAsync(run, run.Control.Topic, unlabelled: false, cancellationToken))
            yield return SampleShapes.FitInputShape(window, run.Definition, progress.Windows == 1 ? run.Log : null);
    }

    /// <summary>
    /// The windows of the open stream <paramref name="topic"/> as decoded (not yet in the model's input shape);
    /// <paramref name="unlabelled"/>: the values only (<see cref="UnlabelledDecoder"/>).
    /// </summary>
    internal async IAsyncEnumerable<SampleSet> ReadWindowsAsync(TrainingRun run, string topic, bool unlabelled, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var incremental = Settings(run);
        var timeout = TimeSpan.FromMilliseconds(incremental.StreamTimeoutMs);
        TimeSpan? end = incremental.Indefinite ? null : timeout;
        var quiet = timeout < QuietClose ? timeout : QuietClose;
        var notBefore = run.ControlTimestamp ?? DateTimeOffset.MinValue;
        using var reader = await Task.Run(() => StreamWindowReader.Open(run, topic, notBefore, end, progress.ResumeAt, cancellationToken, unlabelled), cancellationToken);
        var deadLetteredBefore = progress.DeadLettered; // by the job this one resumes from
        progress.Checkpoint = reader.Commit;
        progress.Position = reader.Position;
        try
        {
            while (await Task.Run(() => reader.ReadWindow(incremental.WindowSize, quiet, end, cancellationToken), cancellationToken) is { } window)
            {
                progress.DeadLettered = deadLetteredBefore + reader.DeadLettered;
                progress.Windows++;
                progress.SamplesSeen += window.Count;
                yield return window;
            }
        }
        finally
        {
            progress.Checkpoint = null;
            progress.Position = null;
        }
        progress.DeadLettered = deadLetteredBefore + reader.DeadLettered;
        run.Say(string.Create(CultureInfo.InvariantCulture,
            $"no message for {incremental.StreamTimeoutMs} ms: the stream {topic} ended after {progress.SamplesSeen} samples"));
    }

    internal static IncrementalSettings Settings(TrainingRun run) =>
        run.Spec.Incremental ?? throw new InvalidOperationException("An incremental mode runs only for an incremental deployment.");
}
