using Microsoft.Extensions.Options;

namespace KafkaMl.Core.Orchestration.Local;

/// <summary>Rejects <c>KafkaMl:Local</c> settings the local runner cannot work with, at start.</summary>
public sealed class LocalJobRunnerOptionsValidator : IValidateOptions<LocalJobRunnerOptions>
{
    public ValidateOptionsResult Validate(string? name, LocalJobRunnerOptions options)
    {
        var failures = new List<string>();
        const string section = LocalJobRunnerOptions.Section;
        if (!string.IsNullOrWhiteSpace(options.ExecutablePath) && Path.IsPathRooted(options.ExecutablePath) && !File.Exists(options.ExecutablePath))
            failures.Add($"{section}:{nameof(options.ExecutablePath)} names no file: '{options.ExecutablePath}'.");
        if (options.StopGracePeriod < TimeSpan.Zero)
            failures.Add($"{section}:{nameof(options.StopGracePeriod)} must not be negative.");
        if (options.LogFileMaxBytes < 4096)
            failures.Add($"{section}:{nameof(options.LogFileMaxBytes)} must be at least 4096.");
        if (options.LogBufferLines < 1)
            failures.Add($"{section}:{nameof(options.LogBufferLines)} must be at least 1.");
        if (options.FailureReasonLines < 0)
            failures.Add($"{section}:{nameof(options.FailureReasonLines)} must not be negative.");
        if (options.RestartBackoff <= TimeSpan.Zero)
            failures.Add($"{section}:{nameof(options.RestartBackoff)} must be positive.");
        if (options.TrainingRestarts < 0)
            failures.Add($"{section}:{nameof(options.TrainingRestarts)} must not be negative.");
        if (options.MaxRestartBackoff < options.RestartBackoff)
            failures.Add($"{section}:{nameof(options.MaxRestartBackoff)} must be at least {nameof(options.RestartBackoff)}.");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
