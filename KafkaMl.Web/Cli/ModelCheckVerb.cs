using KafkaMl.Core.Scripting;

namespace KafkaMl.Web.Cli;

/// <summary>
/// <c>model-check [script-file|-] [--input-shape "1 28 28"]</c>: compiles, sandbox-checks and builds a model script
/// (read from the file, or from standard input), counts its parameters, lists its layers and runs a dry forward
/// pass on a zero batch of one when the input shape is known; prints one JSON line
/// (<see cref="ModelCheckReport"/>) and exits 0 when the model is fine, 1 otherwise.
/// </summary>
/// <remarks>
/// The portal never runs a script itself: <see cref="ModelScriptChecker"/> starts this verb as a short-lived child
/// process with time and memory limits.
/// </remarks>
public static class ModelCheckVerb
{
    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        ModelCheckReport report;
        try
        {
            report = await CheckAsync(args, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            report = ModelScriptInspector.IsOutOfMemory(e)
                ? ModelCheckReport.Failed(ModelCheckFailure.Memory, $"The model check ran out of memory: {e.Message}")
                : ModelCheckReport.Failed(ModelCheckFailure.Crash, $"The model check failed: {e.GetType().Name}: {e.Message}");
        }
        await Console.Out.WriteLineAsync(report.ToJson());
        await Console.Out.FlushAsync(cancellationToken);
        return report.Ok ? 0 : 1;
    }

    private static async Task<ModelCheckReport> CheckAsync(string[] args, CancellationToken cancellationToken)
    {
        string? file = null;
        long[]? inputShape = null;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--input-shape" when i + 1 < args.Length:
                    if (!ModelInputShape.TryParse(args[++i], out var shape, out var error))
                        return ModelCheckReport.Failed(ModelCheckFailure.Usage, $"--input-shape: {error}.");
                    inputShape = shape;
                    break;
                case "-h" or "--help":
                    return ModelCheckReport.Failed(ModelCheckFailure.Usage,
                        "usage: model-check [script-file|-] [--input-shape \"1 28 28\"]   (the script is read from standard input by default)");
                case var option when option.StartsWith("--", StringComparison.Ordinal):
                    return ModelCheckReport.Failed(ModelCheckFailure.Usage, $"unknown or incomplete option '{option}'; usage: model-check [script-file|-] [--input-shape \"1 28 28\"]");
                case var path when file is null:
                    file = path;
                    break;
                default:
                    return ModelCheckReport.Failed(ModelCheckFailure.Usage, $"unexpected argument '{args[i]}'");
            }
        }

        string code;
        try
        {
            code = file is null or "-"
                ? await Console.In.ReadToEndAsync(cancellationToken)
                : await File.ReadAllTextAsync(file, cancellationToken);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return ModelCheckReport.Failed(ModelCheckFailure.Usage, $"cannot read the script '{file}': {e.Message}");
        }
        return await ModelScriptInspector.InspectAsync(code, inputShape, cancellationToken);
    }
}
