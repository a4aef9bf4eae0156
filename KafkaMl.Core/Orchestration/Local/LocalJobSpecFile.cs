using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace KafkaMl.Core.Orchestration.Local;

/// <summary>
/// A local job's spec kept in its directory (<c>job.json</c>), so a portal process started later can take the job back:
/// adopt its running replicas and restart those an inference service is missing. The spec's environment may hold
/// secrets (the job's token), so the file is readable by the portal's user only, like the job-token key beside it.
/// </summary>
internal static class LocalJobSpecFile
{
    public const string FileName = "job.json";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static void Write(string directory, JobSpec spec, ILogger logger)
    {
        var path = Path.Combine(directory, FileName);
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            using var file = new FileStream(path, options);
            JsonSerializer.Serialize(file, spec, Json);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            logger.LogWarning("Could not keep the spec of job {Name}; a later portal process cannot take it back: {Error}", spec.Name, e.Message);
        }
    }

    /// <summary>The spec kept in <paramref name="directory"/>; null when there is none or it cannot be read.</summary>
    public static JobSpec? Read(string directory, ILogger logger)
    {
        var path = Path.Combine(directory, FileName);
        if (!File.Exists(path)) return null;
        try
        {
            using var file = File.OpenRead(path);
            return JsonSerializer.Deserialize<JobSpec>(file, Json);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or NotSupportedException)
        {
            logger.LogWarning("Could not read {Path}: {Error}", path, e.Message);
            return null;
        }
    }

    public static void Delete(string directory)
    {
        try
        {
            File.Delete(Path.Combine(directory, FileName));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A leftover spec of a job with no replica running only restarts an inference service that was stopped; rare and visible.
        }
    }
}
