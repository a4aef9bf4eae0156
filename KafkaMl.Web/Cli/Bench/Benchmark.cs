using KafkaMl.Core.Broker;

namespace KafkaMl.Web.Cli.Bench;

/// <summary>A benchmark run that cannot go on: the message says which step failed and why; the detail, when given, follows it.</summary>
internal sealed class BenchFailure(string message, string? detail = null) : Exception(message)
{
    public string? Detail { get; } = detail;
}

/// <summary>A <c>bench</c> subcommand as the verb lists and runs it.</summary>
internal interface IBenchmark
{
    /// <summary>The subcommand: <c>bench &lt;Name&gt;</c>.</summary>
    string Name { get; }

    /// <summary>One line for <c>bench --help</c>.</summary>
    string Summary { get; }

    /// <summary>Runs the subcommand with its arguments; returns the exit code.</summary>
    Task<int> RunAsync(string[] args, CancellationToken cancellationToken);
}

/// <summary>
/// One <c>bench</c> subcommand: its options and its measurement, in the frame every benchmark shares. <c>-h</c> prints
/// the usage (exit 0); a bad command line prints <c>bench NAME: why</c> and the usage (exit 2); a run that fails prints
/// <c>bench NAME: why</c> (exit 1); Ctrl+C prints <c>bench NAME: cancelled.</c> (exit 130). The report goes to stdout,
/// progress to stderr.
/// </summary>
internal abstract class Benchmark<TSettings> : IBenchmark
    where TSettings : class
{
    public abstract string Name { get; }

    public abstract string Summary { get; }

    protected abstract string Usage { get; }

    /// <summary>The options that take a value (names with their dashes).</summary>
    protected abstract IReadOnlyCollection<string> Valued { get; }

    /// <summary>The options that take none.</summary>
    protected virtual IReadOnlyCollection<string> Flags => [];

    /// <summary>The settings from the command line; throws <see cref="CliUsageException"/> on a bad value.</summary>
    protected abstract TSettings Parse(CliOptions options);

    /// <summary>Runs the benchmark and prints its report; returns the exit code.</summary>
    protected abstract Task<int> MeasureAsync(TSettings settings, CancellationToken cancellationToken);

    /// <summary>The exceptions (besides <see cref="BenchFailure"/>) that end a run with its message and exit 1.</summary>
    protected virtual bool IsFailure(Exception e) => e is BrokerStartException;

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var commandLine = await CliOptions.ReadVerbAsync(args, Valued, Flags, ParseSettings, $"bench {Name}", Usage, Usage);
        if (commandLine.Request is not { } settings) return commandLine.ExitCode ?? CliOptions.UsageExitCode;

        try
        {
            return await MeasureAsync(settings, cancellationToken);
        }
        catch (Exception e) when (e is BenchFailure || IsFailure(e))
        {
            await Console.Error.WriteLineAsync($"bench {Name}: {e.Message}");
            if (e is BenchFailure { Detail: { } detail }) await Console.Error.WriteLineAsync(detail);
            return 1;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync($"bench {Name}: cancelled.");
            return 130;
        }
    }

    private TSettings ParseSettings(CliOptions options) =>
        options.Positionals.Count > 0 ? throw new CliUsageException($"unexpected argument '{options.Positionals[0]}'.") : Parse(options);
}
