using System.Text.Json.Nodes;
using KafkaMl.Core.Orchestration;

namespace KafkaMl.Web.Apis;

/// <summary>
/// A training result as the API shows it (DESIGN §4), plus the model's name, the stream it trained on and, for a
/// semi-supervised run, its self-training rounds by window then round (an empty list for a supervised one) and, for an
/// early-exit chain, its <c>chain</c> report (per-exit metrics, the exit trade-off and the suggested threshold; null otherwise).
/// </summary>
public sealed record ResultResponse(
    int Id,
    int DeploymentId,
    int ModelId,
    string ModelName,
    TrainingStatus Status,
    IReadOnlyDictionary<string, double> TrainMetrics,
    IReadOnlyDictionary<string, double> ValMetrics,
    IReadOnlyDictionary<string, double> TestMetrics,
    int[][]? ConfusionMatrix,
    double? TrainingSeconds,
    DateTimeOffset StatusChanged,
    string? Error,
    ResultInputResponse? Input,
    bool ModelAvailable,
    IReadOnlyList<SelfTrainingRound> SelfTraining,
    ChainResultReport? Chain,
    ResultImportedResponse? Imported = null)
{
    public static ResultResponse From(TrainingResult result, string modelName) => new(
        result.Id,
        result.DeploymentId,
        result.ModelId,
        modelName,
        result.Status,
        result.TrainMetrics,
        result.ValMetrics,
        result.TestMetrics,
        result.ConfusionMatrix,
        result.TrainingSeconds,
        result.StatusChanged,
        result.Error,
        ResultInputResponse.From(result),
        result.Status == TrainingStatus.Finished && result.WeightsPath is not null,
        SelfTraining: result.SelfTraining,
        Chain: result.Chain,
        Imported: ResultImportedResponse.From(result));
}

/// <summary>The stream a result trained on, as its control message described it; what inference pre-fills.</summary>
public sealed record ResultInputResponse(string? Topic, string? InputFormat, JsonObject? InputConfig)
{
    public static ResultInputResponse? From(TrainingResult result) =>
        result.DataTopic is null && result.InputFormat is null
            ? null
            : new(result.DataTopic, result.InputFormat, ParseObject(result.InputConfig));

    internal static JsonObject? ParseObject(string? json)
    {
        if (string.IsNullOrWhiteSpace(json)) return null;
        try
        {
            return JsonNode.Parse(json) as JsonObject;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }
}

/// <summary><c>GET /api/results/{id}/metrics</c>: the per-epoch series, by epoch.</summary>
public sealed record ResultMetricsResponse(int ResultId, TrainingStatus Status, IReadOnlyList<EpochMetricsResponse> Epochs);

public sealed record EpochMetricsResponse(
    int Epoch,
    IReadOnlyDictionary<string, double> Train,
    IReadOnlyDictionary<string, double> Validation,
    DateTimeOffset RecordedAt);

/// <summary>
/// One published model version of a result (<c>GET /api/results/{id}/versions</c>): its number, when it was
/// published, the stream samples seen by then, its metrics at publication and the feature scaler it uses.
/// </summary>
public sealed record ModelVersionResponse(
    int Version,
    DateTimeOffset PublishedAt,
    long SamplesSeen,
    IReadOnlyDictionary<string, double> TrainMetrics,
    IReadOnlyDictionary<string, double> ValMetrics,
    IReadOnlyDictionary<string, double> TestMetrics,
    JsonObject? Scaler)
{
    public static ModelVersionResponse From(ModelVersion version) => new(
        version.Version,
        version.PublishedAt,
        version.SamplesSeen,
        version.TrainMetrics,
        version.ValMetrics,
        version.TestMetrics,
        ResultInputResponse.ParseObject(version.Scaler));
}
