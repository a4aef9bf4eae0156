using System.Text.Json.Nodes;

namespace KafkaMl.Core.Orchestration;

// What a training job (the `train` verb) and the portal say to each other over HTTP, under
// /api/jobs/training/{resultId}. Jobs never touch the database; the portal records what they report.
// JSON is camelCase like the rest of the API.

/// <summary><c>GET /api/jobs/training/{resultId}</c>: everything the job needs besides the data stream.</summary>
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
    int Seed);

/// <summary><c>POST .../status</c>: <c>deployed</c> (waiting for data), <c>training</c> (data found) or <c>failed</c>.</summary>
public sealed record TrainingStatusReport(string Status, string? Error = null, TrainingDataReport? Data = null);

/// <summary>The stream a job trains on, as its control message described it.</summary>
public sealed record TrainingDataReport(string Topic, string InputFormat, JsonObject InputConfig, int TotalMsg, double ValidationRate, double TestRate);

/// <summary><c>POST .../epochs</c>: one epoch's train and validation metrics (<c>loss</c> among them).</summary>
public sealed record EpochReportDto(int Epoch, IReadOnlyDictionary<string, double> Train, IReadOnlyDictionary<string, double> Validation);

/// <summary>
/// <c>POST .../result</c> (multipart: a <c>report</c> JSON part of this shape plus the weight files):
/// final metrics, the confusion matrix for classifiers, and what inference needs to apply the same
/// preprocessing (the feature scaler, as JSON).
/// </summary>
public sealed record TrainingResultReport(
    IReadOnlyDictionary<string, double> TrainMetrics,
    IReadOnlyDictionary<string, double> ValMetrics,
    IReadOnlyDictionary<string, double> TestMetrics,
    int[][]? ConfusionMatrix,
    double TrainingSeconds,
    JsonObject? Scaler);
