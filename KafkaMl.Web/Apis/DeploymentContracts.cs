using System.Text.Json.Nodes;

namespace KafkaMl.Web.Apis;

/// <summary>
/// Body of <c>POST /api/deployments</c>. Everything is nullable so a missing or wrong field is answered field by
/// field; <c>optimizer</c>, <c>loss</c> and <c>metrics</c> take their wire names in any case.
/// Defaults: learningRate 0.001, optimizer adam, loss cross_entropy, metrics none, shuffle true, a random seed.
/// <para>The incremental group (Kafka-ML's names in camelCase) applies only with <c>incremental: true</c>, which makes
/// <c>epochs</c> optional (it is then <c>epochsPerWindow</c>): streamTimeoutMs 60000, indefinite false,
/// monitoringMetric val_loss, change up for accuracy and down otherwise, improvement 0.05, windowSize 256,
/// epochsPerWindow 1 (ranges: <see cref="KafkaMl.Web.Services.DeploymentRules"/>).</para>
/// <para>The semi-supervised group applies only with <c>semiSupervised: true</c> (bounded or incremental): unsupervisedRounds
/// 5 (at least 1), confidence 0.9 (in (0, 1]).</para>
/// <para>The federated group applies only with <c>federated: true</c> (bounded, supervised): rounds 15, minSites 2,
/// roundTimeoutS 600, minData 1000, dataRestriction {} (a JSON object), aggregation fedavg (fedprox takes mu 0.01,
/// fedadam serverLearningRate 0.01), clipNorm and noiseMultiplier unset (noise needs clipNorm).</para>
/// <para><c>initialWeightsResultId</c> (optional): a finished result whose weights the training jobs start from instead of
/// the script's initialisation (fine-tuning, e.g. an imported PyTorch model, on a stream); its tensors must fit every model
/// of the configuration. Not for federated deployments.</para>
/// </summary>
public sealed record DeploymentRequest(
    int? ConfigurationId,
    int? BatchSize,
    int? Epochs,
    double? LearningRate = null,
    string? Optimizer = null,
    string? Loss = null,
    IReadOnlyList<string>? Metrics = null,
    bool? Shuffle = null,
    EarlyStoppingRequest? EarlyStopping = null,
    double? ValidationRate = null,
    double? TestRate = null,
    int? Seed = null,
    bool? Incremental = null,
    int? StreamTimeoutMs = null,
    bool? Indefinite = null,
    string? MonitoringMetric = null,
    string? Change = null,
    double? Improvement = null,
    int? WindowSize = null,
    int? EpochsPerWindow = null,
    bool? SemiSupervised = null,
    int? UnsupervisedRounds = null,
    double? Confidence = null,
    bool? Federated = null,
    int? Rounds = null,
    int? MinSites = null,
    int? RoundTimeoutS = null,
    long? MinData = null,
    JsonNode? DataRestriction = null,
    string? Aggregation = null,
    double? Mu = null,
    double? ServerLearningRate = null,
    double? ClipNorm = null,
    double? NoiseMultiplier = null,
    int? InitialWeightsResultId = null);

/// <summary>Stop when the validation loss has not improved by <c>minDelta</c> (default 0) for <c>patience</c> epochs.</summary>
public sealed record EarlyStoppingRequest(int? Patience, double? MinDelta = null);

public sealed record EarlyStoppingResponse(int Patience, double MinDelta);

/// <summary>
/// A deployment as the API shows it, with one result per model of its configuration. The incremental group is null
/// for a bounded deployment (<c>incremental</c> false); the semi-supervised group (<c>unsupervisedRounds</c>,
/// <c>confidence</c>) for a supervised one (<c>semiSupervised</c> false).
/// </summary>
public sealed record DeploymentResponse(
    int Id,
    int ConfigurationId,
    string ConfigurationName,
    int BatchSize,
    int Epochs,
    double LearningRate,
    Optimizer Optimizer,
    Loss Loss,
    IReadOnlyList<string> Metrics,
    bool Shuffle,
    EarlyStoppingResponse? EarlyStopping,
    double? ValidationRate,
    double? TestRate,
    int Seed,
    bool Incremental,
    int? StreamTimeoutMs,
    bool? Indefinite,
    string? MonitoringMetric,
    MetricChange? Change,
    double? Improvement,
    int? WindowSize,
    int? EpochsPerWindow,
    bool SemiSupervised,
    int? UnsupervisedRounds,
    double? Confidence,
    bool Federated,
    FederatedSettingsResponse? FederatedSettings,
    DateTimeOffset CreatedAt,
    IReadOnlyList<DeploymentResultSummary> Results,
    int? InitialWeightsResultId = null)
{
    public static DeploymentResponse From(Deployment deployment, string configurationName, IEnumerable<DeploymentResultSummary> results) => new(
        deployment.Id,
        deployment.ConfigurationId,
        configurationName,
        deployment.BatchSize,
        deployment.Epochs,
        deployment.LearningRate,
        deployment.Optimizer,
        deployment.Loss,
        deployment.Metrics,
        deployment.Shuffle,
        deployment.EarlyStoppingPatience is { } patience ? new EarlyStoppingResponse(patience, deployment.EarlyStoppingMinDelta ?? 0) : null,
        deployment.ValidationRate,
        deployment.TestRate,
        deployment.Seed,
        deployment.Incremental is not null,
        deployment.Incremental?.StreamTimeoutMs,
        deployment.Incremental?.Indefinite,
        deployment.Incremental?.MonitoringMetric,
        deployment.Incremental?.Change,
        deployment.Incremental?.Improvement,
        deployment.Incremental?.WindowSize,
        deployment.Incremental?.EpochsPerWindow,
        deployment.SemiSupervised is not null,
        deployment.SemiSupervised?.UnsupervisedRounds,
        deployment.SemiSupervised?.Confidence,
        deployment.Federated is not null,
        deployment.Federated is { } federated ? FederatedSettingsResponse.From(federated) : null,
        deployment.CreatedAt,
        results.OrderBy(r => r.Id).ToList(),
        deployment.InitialWeightsResultId);
}

/// <summary>A federated deployment's settings as the API shows them (the request's names).</summary>
public sealed record FederatedSettingsResponse(
    int Rounds, int MinSites, int RoundTimeoutS, long MinData, JsonObject DataRestriction, Aggregation Aggregation,
    double? Mu, double? ServerLearningRate, double? ClipNorm, double? NoiseMultiplier)
{
    public static FederatedSettingsResponse From(FederatedSettings s) => new(
        s.Rounds, s.MinSites, s.RoundTimeoutS, s.MinData, s.Restriction(), s.Aggregation, s.Mu, s.ServerLearningRate, s.ClipNorm, s.NoiseMultiplier);
}

/// <summary>One training result of a deployment, in brief (<c>GET /api/results/{id}</c> has the rest).</summary>
public sealed record DeploymentResultSummary(int Id, int ModelId, string ModelName, TrainingStatus Status);
