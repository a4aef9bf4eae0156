using Microsoft.Extensions.Primitives;

namespace KafkaMl.Tests.Support;

/// <summary>Test data for deployments and job reports: valid by default, override what the test is about.</summary>
public static class OrchestrationBuilders
{
    public static DeploymentRequest ADeploymentRequest(
        int? configurationId,
        int? batchSize = 10,
        int? epochs = 5,
        double? learningRate = 0.01,
        string? optimizer = "adam",
        string? loss = "cross_entropy",
        IReadOnlyList<string>? metrics = null,
        bool? shuffle = true,
        EarlyStoppingRequest? earlyStopping = null,
        double? validationRate = null,
        double? testRate = null,
        int? seed = 42) =>
        new(configurationId, batchSize, epochs, learningRate, optimizer, loss, metrics ?? ["accuracy"], shuffle, earlyStopping, validationRate, testRate, seed);

    public static TrainingDataReport AHcopdDataReport() => new(
        "hcopd:0:0:120,hcopd:1:0:119",
        "AVRO",
        new JsonObject { ["data_scheme"] = "{}", ["label_scheme"] = "{}" },
        239,
        0.1,
        0.1);

    public static EpochReportDto AnEpoch(int epoch, double loss = 0.5, double accuracy = 0.8) => new(
        epoch,
        new Dictionary<string, double> { ["loss"] = loss, ["accuracy"] = accuracy },
        new Dictionary<string, double> { ["loss"] = loss + 0.1, ["accuracy"] = accuracy - 0.05 });

    public static TrainingResultReport AResultReport() => new(
        new Dictionary<string, double> { ["loss"] = 0.35, ["accuracy"] = 0.86 },
        new Dictionary<string, double> { ["loss"] = 0.38, ["accuracy"] = 0.84 },
        new Dictionary<string, double> { ["loss"] = 0.41, ["accuracy"] = 0.83 },
        [[10, 2], [3, 9]],
        12.5,
        new JsonObject { ["kind"] = "standard", ["mean"] = new JsonArray(1.0, 2.0, 3.0), ["std"] = new JsonArray(1.0, 1.0, 1.0) });

    public static readonly byte[] WeightBytes = Encoding.ASCII.GetBytes("torchsharp-weights");
    public static readonly byte[] SafetensorsBytes = Encoding.ASCII.GetBytes("safetensors-weights");

    /// <summary>The multipart form a job uploads: the report as a field, the two weight files.</summary>
    public static IFormCollection AResultForm(TrainingResultReport? report = null, byte[]? weights = null, byte[]? safetensors = null)
    {
        var files = new FormFileCollection
        {
            File(TrainingJobRoutes.WeightsPart, "model.dat", weights ?? WeightBytes),
            File(TrainingJobRoutes.SafetensorsPart, "model.safetensors", safetensors ?? SafetensorsBytes),
        };
        return new FormCollection(
            new Dictionary<string, StringValues> { [TrainingJobRoutes.ReportPart] = JsonSerializer.Serialize(report ?? AResultReport(), JsonSerializerOptions.Web) },
            files);
    }

    /// <summary>A form without the weights part.</summary>
    public static IFormCollection AResultFormWithoutWeights() => new FormCollection(
        new Dictionary<string, StringValues> { [TrainingJobRoutes.ReportPart] = JsonSerializer.Serialize(AResultReport(), JsonSerializerOptions.Web) },
        new FormFileCollection());

    public static ModelVersionReport AVersionReport(int version, long samplesSeen = 256, double valAccuracy = 0.8) => new(
        version,
        samplesSeen,
        new Dictionary<string, double> { ["loss"] = 0.4, ["accuracy"] = 0.82 },
        new Dictionary<string, double> { ["loss"] = 0.45, ["accuracy"] = valAccuracy },
        null,
        new JsonObject { ["kind"] = "standard", ["mean"] = new JsonArray(version, 0.0, 0.0), ["std"] = new JsonArray(1.0, 1.0, 1.0) });

    /// <summary>The multipart form a job publishes a version with: the version report as a field, the weights (no safetensors).</summary>
    public static IFormCollection AVersionForm(ModelVersionReport report, string weights) => new FormCollection(
        new Dictionary<string, StringValues> { [TrainingJobRoutes.VersionPart] = JsonSerializer.Serialize(report, JsonSerializerOptions.Web) },
        new FormFileCollection { File(TrainingJobRoutes.WeightsPart, "model.dat", Encoding.ASCII.GetBytes(weights)) });

    private static FormFile File(string part, string fileName, byte[] content) =>
        new(new MemoryStream(content), 0, content.Length, part, fileName);
}
