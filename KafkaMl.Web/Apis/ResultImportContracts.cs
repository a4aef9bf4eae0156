namespace KafkaMl.Web.Apis;

/// <summary>
/// The form fields of <c>POST /api/results/import</c> (multipart): <c>modelId</c>, <c>weights</c> (a <c>.safetensors</c>
/// file or a PyTorch <c>.pt</c> state dict), and optionally <c>scaler</c> (JSON <c>{"mean":[...],"std":[...]}</c>),
/// <c>inputFormat</c>, <c>inputConfig</c> (a JSON object) and <c>loss</c> (how outputs become classes at inference;
/// default: the script's own loss, else cross_entropy).
/// </summary>
public static class ResultImportFields
{
    public const string ModelId = "modelId";
    public const string Weights = "weights";
    public const string Scaler = "scaler";
    public const string InputFormat = "inputFormat";
    public const string InputConfig = "inputConfig";
    public const string Loss = "loss";
}

/// <summary>A result made from weights trained elsewhere: the file they came from and its format (<c>pytorch</c> or <c>safetensors</c>).</summary>
public sealed record ResultImportedResponse(string FileName, string Format)
{
    public static ResultImportedResponse? From(TrainingResult result) =>
        result.ImportedFrom is { } file ? new ResultImportedResponse(file, result.ImportedFormat ?? "") : null;
}
