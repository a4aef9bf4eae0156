using System.Text.Json.Nodes;
using KafkaMl.Core.Domain;
using KafkaMl.Core.Streaming;

namespace KafkaMl.Core.Orchestration;

// What a training job (the `train` verb) and the portal say to each other over HTTP, under
// /api/jobs/training/{resultId}. Jobs never touch the database; the portal records what they report.
// JSON is camelCase like the rest of the API.

/// <summary>
/// <c>GET /api/jobs/training/{resultId}</c>: everything the job needs besides the data stream.
/// <paramref name="Incremental"/> is set for an incremental deployment (it trains on an online control message's open
/// stream and publishes versions), null for a bounded one. <paramref name="SemiSupervised"/> is set for a semi-supervised
/// deployment (it self-trains on the control message's <c>unsupervised_topic</c>), null for a supervised one.
/// <paramref name="Federated"/> is set for a federated deployment: the job coordinates rounds on the sites' data.
/// <paramref name="InitialWeightsResultId"/> is set when the deployment starts from a finished result's weights (fine-tuning):
/// the job loads them (<see cref="TrainingJobRoutes.InitialWeights"/>) into the model it built before it trains.
/// </summary>
public sealed record TrainingJobSpec(
    int ResultId,
    int DeploymentId,
    int ModelId,
    string ModelName,
    string ModelCode,
    int BatchSize,
    int Epochs,
    double LearningRate,
    string Optimizer,
    string Loss,
    IReadOnlyList<string> Metrics,
    bool Shuffle,
    int? EarlyStoppingPatience,
    double? EarlyStoppingMinDelta,
    double? ValidationRate,
    double? TestRate,
    int Seed,
    IncrementalSettings? Incremental = null,
    SemiSupervisedSettings? SemiSupervised = null,
    FederatedSettings? Federated = null,
    int? InitialWeightsResultId = null);

/// <summary><c>POST .../status</c>: <c>deployed</c> (waiting for data), <c>training</c> (data found) or <c>failed</c>.</summary>
public sealed record TrainingStatusReport(string Status, string? Error = null, TrainingDataReport? Data = null);

/// <summary>The stream a job trains on, as its control message described it.</summary>
public sealed record TrainingDataReport(string Topic, string InputFormat, JsonObject InputConfig, int TotalMsg, double ValidationRate, double TestRate);

/// <summary><c>POST .../epochs</c>: one epoch's train and validation metrics (<c>loss</c> among them).</summary>
public sealed record EpochReportDto(int Epoch, IReadOnlyDictionary<string, double> Train, IReadOnlyDictionary<string, double> Validation);

/// <summary>
/// <c>POST .../result</c> (multipart: a <c>report</c> JSON part of this shape plus the weight files):
/// final metrics, the confusion matrix for classifiers, and what inference needs to apply the same
/// preprocessing (the feature scaler, as JSON). <paramref name="Chain"/> is set for an early-exit chain only (its
/// metrics above are the final exit's, its epochs' early-exit metrics included); absent or null for a plain model.
/// </summary>
public sealed record TrainingResultReport(
    IReadOnlyDictionary<string, double> TrainMetrics,
    IReadOnlyDictionary<string, double> ValMetrics,
    IReadOnlyDictionary<string, double> TestMetrics,
    int[][]? ConfusionMatrix,
    double TrainingSeconds,
    JsonObject? Scaler,
    ChainResultReport? Chain = null);

/// <summary>
/// An early-exit chain's part of a training result (<c>"chain"</c> in the result report):
/// <c>{"exitWeights":[0.25,0.25,0.5],"exits":[{"exit":1,...},...],"tradeOff":[{"threshold":0,"shares":[1,0,0],"accuracy":0.81},...],"suggestedThreshold":0.85,"tolerance":0.01}</c>.
/// </summary>
/// <param name="ExitWeights">Each exit's weight in the joint loss, exit 1 first and the final stage last (summing to 1).</param>
/// <param name="Exits">Every exit's metrics, exit 1 first; the last is the final stage (the result's plain metrics).</param>
/// <param name="TradeOff">
/// On the test split, for thresholds 0, 0.05, ..., 1 and then 1.05 (above 1: every sample goes to the final stage): the
/// share of samples answered at each exit (a sample leaves at the first exit whose top probability is at least the
/// threshold; the final stage answers the rest) and the accuracy of those answers. Null when there is no test split
/// or the loss gives no class probabilities (mse, mae, binary cross-entropy with several outputs).
/// </param>
/// <param name="SuggestedThreshold">The lowest threshold whose accuracy is within <paramref name="Tolerance"/> of the final exit's; null without a trade-off.</param>
/// <param name="Tolerance">How far below the final exit's accuracy the suggestion may be (0.01 = 1 point).</param>
public sealed record ChainResultReport(
    IReadOnlyList<double> ExitWeights,
    IReadOnlyList<ExitResultReport> Exits,
    IReadOnlyList<ExitTradeOffRow>? TradeOff,
    double? SuggestedThreshold,
    double Tolerance);

/// <summary>
/// One exit of a chain: its final train and validation metrics (those of the epoch the model holds, plain names),
/// test metrics (<c>accuracy</c> always included for a classifier) and confusion matrix on the test split.
/// </summary>
/// <param name="Exit">1-based: stage k's exit is exit k; the final stage is the last exit.</param>
public sealed record ExitResultReport(
    int Exit,
    IReadOnlyDictionary<string, double> TrainMetrics,
    IReadOnlyDictionary<string, double> ValMetrics,
    IReadOnlyDictionary<string, double> TestMetrics,
    int[][]? ConfusionMatrix);

/// <summary>One threshold of a chain's exit trade-off: the share answered at each exit (exit 1 first; they sum to 1) and the overall accuracy.</summary>
public sealed record ExitTradeOffRow(double Threshold, IReadOnlyList<double> Shares, double Accuracy);

/// <summary>
/// <c>POST .../versions</c> (multipart: a <c>version</c> JSON part of this shape plus the weight files, as for the
/// result): publishes model version <paramref name="Version"/> of a result that is still training. Versions are
/// numbered by the job from 1 without gaps; the same version sent again (a retry) is accepted once.
/// </summary>
/// <param name="SamplesSeen">Stream samples trained and validated on so far.</param>
/// <param name="StreamOffsets">
/// An incremental version's stream position when it was published (<c>topic:partition</c> → next offset; see
/// <see cref="StreamOffsetKey"/>): a job started again resumes from the last version and exactly these offsets.
/// </param>
public sealed record ModelVersionReport(
    int Version,
    long SamplesSeen,
    IReadOnlyDictionary<string, double> TrainMetrics,
    IReadOnlyDictionary<string, double> ValMetrics,
    IReadOnlyDictionary<string, double>? TestMetrics,
    JsonObject? Scaler,
    IReadOnlyDictionary<string, long>? StreamOffsets = null)
{
    /// <summary>The key of one partition's offset in <see cref="StreamOffsets"/>.</summary>
    public static string StreamOffsetKey(string topic, int partition) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{topic}:{partition}");
}

/// <summary>
/// <c>POST .../self-training</c>: one self-training round of a semi-supervised run (round 0 = the labelled data only),
/// kept in order on the result and shown by <c>GET /api/results/{id}</c> as <c>selfTraining</c>. A round reported
/// again replaces the earlier report of the same round (and window).
/// </summary>
/// <param name="Round">0 for the supervised-only training, then 1, 2, ... per pseudo-labelling round.</param>
/// <param name="Added">Pseudo-labelled samples added in this round (0 for round 0).</param>
/// <param name="ClassCounts">The added samples per class (class index as text → count); empty for round 0.</param>
/// <param name="Confidence">The confidence threshold the round used.</param>
/// <param name="TestMetrics">Metrics on the labelled test split after the round (empty when there is no test split).</param>
/// <param name="PoolLeft">Unlabelled samples still without a label after the round.</param>
/// <param name="Window">For an incremental run, the unlabelled window the round trained on (1-based); null for a bounded run.</param>
public sealed record SelfTrainingRoundReport(
    int Round,
    int Added,
    IReadOnlyDictionary<string, int> ClassCounts,
    double Confidence,
    IReadOnlyDictionary<string, double> TestMetrics,
    long PoolLeft,
    int? Window = null);

/// <summary>
/// <c>GET .../versions/latest</c>: the last version a result published, for a job started again for the same result to
/// resume from (its weights: <c>GET .../versions/{v}/weights</c>); 204 when none was published.
/// </summary>
/// <param name="Window">The last window (epoch) reported before the version was published.</param>
/// <param name="StreamOffsets">The version's stream position (<see cref="ModelVersionReport.StreamOffsets"/>); empty for versions published without one.</param>
public sealed record PublishedModelVersion(
    int Version,
    long SamplesSeen,
    int Window,
    IReadOnlyDictionary<string, double> TrainMetrics,
    IReadOnlyDictionary<string, double> ValMetrics,
    JsonObject? Scaler,
    IReadOnlyDictionary<string, long>? StreamOffsets = null);

/// <summary>The routes and names both sides of the training job's HTTP conversation use.</summary>
public static class TrainingJobRoutes
{
    public static string Spec(int resultId) => $"/api/jobs/training/{resultId}";

    public static string Status(int resultId) => $"{Spec(resultId)}/status";

    public static string Epochs(int resultId) => $"{Spec(resultId)}/epochs";

    public static string Result(int resultId) => $"{Spec(resultId)}/result";

    public static string Versions(int resultId) => $"{Spec(resultId)}/versions";

    public static string SelfTraining(int resultId) => $"{Spec(resultId)}/self-training";

    public static string LatestVersion(int resultId) => $"{Versions(resultId)}/latest";

    /// <summary>The weights (TorchSharp's file) of the deployment's <see cref="TrainingJobSpec.InitialWeightsResultId"/>: what the job starts from.</summary>
    public static string InitialWeights(int resultId) => $"{Spec(resultId)}/initial-weights";

    public static string VersionWeights(int resultId, int version) => $"{Versions(resultId)}/{version.ToString(System.Globalization.CultureInfo.InvariantCulture)}/weights";

    /// <summary>Multipart part holding the <see cref="TrainingResultReport"/> JSON.</summary>
    public const string ReportPart = "report";

    /// <summary>Multipart part holding the <see cref="ModelVersionReport"/> JSON.</summary>
    public const string VersionPart = "version";

    /// <summary>Multipart part holding TorchSharp's own weights file (<c>module.save</c>).</summary>
    public const string WeightsPart = "weights";

    /// <summary>Multipart part holding the same weights as safetensors (PyTorch-loadable).</summary>
    public const string SafetensorsPart = "safetensors";
}

/// <summary>How the portal hands a job what it must know; the token is a secret and never logged.</summary>
public static class JobEnvironment
{
    /// <summary>Header carrying the job's token on every report; it authorises reports on its own result only.</summary>
    public const string TokenHeader = "X-KafkaMl-Job-Token";

    /// <summary>Environment variable holding the job's token.</summary>
    public const string TokenVariable = "KAFKAML_JOB_TOKEN";

    /// <summary>Environment variable holding the portal's base URL as jobs reach it.</summary>
    public const string PortalUrlVariable = "KAFKAML_PORTAL_URL";

    /// <summary>Environment variable holding the Kafka bootstrap servers.</summary>
    public const string BootstrapServersVariable = "KafkaMl__Kafka__BootstrapServers";

    /// <summary>Environment variable holding the control topic.</summary>
    public const string ControlTopicVariable = "KafkaMl__Kafka__ControlTopic";

    /// <summary>The group protocol inference replicas use (<c>KafkaMl:Kafka:GroupProtocol</c>), when the portal sets one.</summary>
    public const string GroupProtocolVariable = "KafkaMl__Kafka__GroupProtocol";

    /// <summary>Environment variable naming the replica (an index locally, the pod name on Kubernetes: treat it as opaque).</summary>
    public const string ReplicaVariable = "KAFKAML_REPLICA";

    /// <summary>
    /// Environment variable naming the file a training job creates once it knows it can resume after being killed
    /// (an incremental training: its committed offsets and last model version); the local runner starts a job that
    /// was killed (SIGKILL) again only when the file exists.
    /// </summary>
    public const string ResumableMarkerVariable = "KAFKAML_RESUMABLE_MARKER";

    /// <summary>Environment variable holding the workload's name (<see cref="JobSpec.Name"/>).</summary>
    public const string JobNameVariable = "KAFKAML_JOB_NAME";

    /// <summary>
    /// Variables that always hold secrets (runners also treat names containing PASSWORD, TOKEN, ... as secret): the
    /// token and the Kafka client key. A Kubernetes job reads them from its Secret, never from its pod spec.
    /// </summary>
    public static readonly IReadOnlyList<string> SecretVariables = [TokenVariable, .. KafkaSecurity.SecretVariables];

    /// <summary>
    /// What every job (training or inference) needs to reach <paramref name="kafka"/>: bootstrap servers, control topic
    /// and the cluster's security settings (<see cref="KafkaSecurity.JobEnvironment"/>), as environment variables.
    /// </summary>
    public static Dictionary<string, string> Kafka(KafkaEndpoint kafka)
    {
        var environment = new Dictionary<string, string>(KafkaSecurity.JobEnvironment(kafka.Security), StringComparer.Ordinal)
        {
            [BootstrapServersVariable] = kafka.BootstrapServers,
            [ControlTopicVariable] = kafka.ControlTopic,
        };
        if (!string.IsNullOrWhiteSpace(kafka.GroupProtocol)) environment[GroupProtocolVariable] = kafka.GroupProtocol;
        return environment;
    }
}
