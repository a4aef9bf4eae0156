using KafkaMl.Core.Control;
using KafkaMl.Core.Formats;
using KafkaMl.Core.Orchestration;
using KafkaMl.Core.Scripting;
using KafkaMl.Core.Training;

namespace KafkaMl.Core.Jobs.Training;

/// <summary>
/// One training run as the stages of a <see cref="TrainingMode"/> see it, once the job has its spec, its model,
/// its control message and the settings it trains with.
/// </summary>
/// <param name="Context">Which result, where Kafka is, and the job's limits.</param>
/// <param name="Spec">The deployment's settings and the model script.</param>
/// <param name="Definition">The built model (and what its script fixes).</param>
/// <param name="Control">The deployment's control message: where the data is.</param>
/// <param name="Settings">What the job trains with (<see cref="TrainingSettingsResolver"/>).</param>
/// <param name="Reporter">The portal (or a stand-in).</param>
/// <param name="Log">Progress lines for the job's log.</param>
public sealed record TrainingRun(
    TrainingJobContext Context,
    TrainingJobSpec Spec,
    ModelDefinition Definition,
    ControlMessage Control,
    TrainingSettings Settings,
    ITrainingReporter Reporter,
    IProgress<string>? Log)
{
    internal ReportTracker Reports { get; init; } = null!;

    /// <summary>
    /// When the control message was sent: an open stream is trained on from the first message at or after it
    /// (<see cref="StreamDataSource"/>); null when the broker gave no time.
    /// </summary>
    public DateTimeOffset? ControlTimestamp { get; init; }

    /// <summary>Writes a line to the job's log.</summary>
    public void Say(string line) => Log?.Report(line);

    /// <summary>Sends a report without waiting for it; one that fails stops the job (<see cref="ReportTracker"/>).</summary>
    public void Report(Func<ITrainingReporter, CancellationToken, Task> send, CancellationToken cancellationToken) =>
        Reports.Track(send(Reporter, cancellationToken));

    /// <summary>Completes when every report sent so far was delivered; throws the first failure.</summary>
    public Task ReportsDeliveredAsync() => Reports.WhenAllAsync();

    /// <summary>A decoder for the control message's format; a format it cannot configure fails the job.</summary>
    internal IDataDecoder CreateDecoder()
    {
        try
        {
            return Control.CreateDecoder();
        }
        catch (DataFormatException e)
        {
            throw new TrainingJobException($"The stream's format cannot be read: {e.Message}", e);
        }
    }
}
