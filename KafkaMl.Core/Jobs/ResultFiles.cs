using System.Globalization;

namespace KafkaMl.Core.Jobs;

/// <summary>
/// The names of a training result's files, shared by the job that writes them, the portal that stores them under
/// <c>&lt;data dir&gt;/results/&lt;id&gt;/</c> and the replicas and downloads that read them.
/// </summary>
public static class ResultFiles
{
    /// <summary>The folder under the data directory holding one sub-folder per result.</summary>
    public const string ResultsFolder = "results";

    /// <summary>The trained weights in TorchSharp's format (what inference replicas load).</summary>
    public const string Weights = "model.dat";

    /// <summary>The trained weights as safetensors, loadable by PyTorch (with the scaler and shapes as metadata).</summary>
    public const string Safetensors = "model.safetensors";

    /// <summary>The result's report as the job sent it.</summary>
    public const string Report = "report.json";

    /// <summary>The sub-folder of a result's folder holding one folder per published version after version 1.</summary>
    public const string VersionsFolder = "versions";

    /// <summary>The report a job sent with a published version.</summary>
    public const string VersionReport = "version.json";

    /// <summary>A result's folder relative to the data directory, '/'-separated: <c>results/12</c>.</summary>
    public static string RelativeFolder(int resultId) =>
        string.Join('/', ResultsFolder, resultId.ToString(CultureInfo.InvariantCulture));

    /// <summary>
    /// A published version's folder relative to the data directory: <c>results/12/versions/3</c>. Version 1 of a
    /// bounded result keeps the result's own files (<see cref="RelativeFolder"/>) instead.
    /// </summary>
    public static string RelativeVersionFolder(int resultId, int version) =>
        string.Join('/', RelativeFolder(resultId), VersionsFolder, version.ToString(CultureInfo.InvariantCulture));
}
