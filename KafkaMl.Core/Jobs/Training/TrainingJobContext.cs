using KafkaMl.Core.Scripting;
using Microsoft.Extensions.Logging;

namespace KafkaMl.Core.Jobs.Training;

/// <summary>What a <see cref="TrainingJob"/> is given besides its spec: which result, where Kafka is, and its limits.</summary>
public sealed record TrainingJobContext
{
    /// <summary>The training result this job trains (its spec comes from the reporter).</summary>
    public required int ResultId { get; init; }

    /// <summary>Kafka bootstrap servers, e.g. <c>127.0.0.1:9092</c>.</summary>
    public required string BootstrapServers { get; init; }

    /// <summary>The control topic to wait on.</summary>
    public string ControlTopic { get; init; } = KafkaOptions.DefaultControlTopic;

    /// <summary>
    /// TorchSharp intra-op threads (<c>torch.set_num_threads</c>). 1 by default: the small models of a
    /// stream (an MLP on a few features) train fastest on one thread, and jobs share the machine. Null
    /// leaves TorchSharp's default (one per core).
    /// </summary>
    public int? TorchThreads { get; init; } = 1;

    /// <summary>
    /// Standardise the features with a scaler fitted on the training split (on by default); the scaler
    /// travels with the result so inference applies the same transform.
    /// </summary>
    public bool StandardizeFeatures { get; init; } = true;

    /// <summary>How long reading the ranges may go without a message before the job fails for missing data.</summary>
    public TimeSpan MissingDataTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How often the job says it is still waiting for its control message.</summary>
    public TimeSpan WaitLogInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Longest the job waits for its <c>failed</c> report to reach the portal before it exits anyway.</summary>
    public TimeSpan FailureReportTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Extra librdkafka consumer settings (e.g. <c>security.protocol</c>, <c>sasl.*</c>).</summary>
    public IReadOnlyDictionary<string, string>? KafkaSettings { get; init; }

    /// <summary>Where the weight files are written before the upload; null: a temporary directory, deleted afterwards.</summary>
    public string? WorkDirectory { get; init; }

    /// <summary>
    /// Called once the job knows its mode resumes after the job is killed and started again
    /// (<see cref="TrainingMode.Resumes"/>); the <c>train</c> verb then tells its runner so
    /// (<see cref="Orchestration.JobEnvironment.ResumableMarkerVariable"/>).
    /// </summary>
    public Action? Resumable { get; init; }

    /// <summary>Receives the Kafka clients' diagnostics (librdkafka log lines and errors); null drops them.</summary>
    public ILogger? KafkaLogger { get; init; }

    /// <summary>
    /// Compiles the model script; null: a compiler of the job's own. A process that runs several jobs of the same
    /// script (<c>bench training</c>) shares one, so its cache compiles the script once; the module is still built
    /// from the script, seeded, by every job.
    /// </summary>
    public ModelScriptCompiler? ModelCompiler { get; init; }
}

/// <summary>How a training job ended.</summary>
public enum TrainingJobStatus
{
    /// <summary>Trained and the result was uploaded.</summary>
    Finished,

    /// <summary>Something went wrong; <see cref="TrainingJobOutcome.Error"/> says what (reported as <c>failed</c> when possible).</summary>
    Failed,

    /// <summary>Cancelled (the runner stopped the job) or the portal closed the result; nothing more was reported.</summary>
    Stopped,
}

/// <summary>The end of a <see cref="TrainingJob"/>.</summary>
/// <param name="Status">Finished, failed or stopped.</param>
/// <param name="Error">Why it failed or stopped; null when finished.</param>
/// <param name="Result">The uploaded result when finished.</param>
public sealed record TrainingJobOutcome(TrainingJobStatus Status, string? Error = null, Orchestration.TrainingResultReport? Result = null);
