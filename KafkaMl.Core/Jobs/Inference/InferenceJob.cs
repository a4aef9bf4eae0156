using KafkaMl.Core.Formats;
using KafkaMl.Core.Inference;
using KafkaMl.Core.Training;
using Microsoft.Extensions.Logging;
using TorchSharp;

namespace KafkaMl.Core.Jobs.Inference;

/// <summary>Where a replica's lines go: the life of the replica (<see cref="InferenceJobLines"/>) and what stopped it.</summary>
public interface IInferenceJobOutput
{
    /// <summary>One line of the replica's life.</summary>
    void Line(string line);

    /// <summary>Why the replica could not start or went on no longer.</summary>
    void Error(string message);
}

/// <summary>How a replica ended.</summary>
public enum InferenceJobEnd
{
    /// <summary>Stopped: by a signal, or because the portal deleted or stopped the inference.</summary>
    Stopped,

    /// <summary>The model, the portal or Kafka failed (the output's error says how).</summary>
    Failed,
}

/// <summary>
/// One replica of an inference service (the <c>infer</c> verb), as named stages: set up (the model and streams
/// from the portal, or from files: <see cref="InferenceSetup"/>); serve with an <see cref="InferenceEngine"/> until
/// cancelled, printing a stats line whenever they changed and posting stats to the portal
/// (<see cref="InferenceReporter"/>), which may say the inference is gone; then stop gracefully (no more consuming,
/// predictions in flight delivered, offsets committed, group left) with a final stats report.
/// </summary>
public static class InferenceJob
{
    /// <summary>Serves until <paramref name="cancellationToken"/> is cancelled or the portal says the inference is gone.</summary>
    public static async Task<InferenceJobEnd> RunAsync(InferenceJobOptions options, IInferenceJobOutput output, ILogger logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(output);
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var portal = options.InferenceId is { } id ? new InferencePortalClient(options.Portal, id, options.Token, logger: logger) : null;
        var startup = new StartupTimeline();
        InferenceSetup setup;
        try
        {
            TorchNative.EnsureLoadable();
            torch.set_num_threads(options.TorchThreads);
            startup.Mark("torch");
            setup = portal is null
                ? await InferenceSetup.FromFilesAsync(options, startup, stopping.Token)
                : await InferenceSetup.FromPortalAsync(options, portal, startup, stopping.Token);
        }
        catch (Exception e) when (e is InferenceSetupException or InferencePortalException or DataFormatException or IOException or UnauthorizedAccessException or System.Text.Json.JsonException or ArgumentException or InvalidOperationException)
        {
            output.Error(e.Message);
            return InferenceJobEnd.Failed;
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            return InferenceJobEnd.Stopped;
        }
        return await ServeAsync(options, setup, portal, startup, output, logger, stopping);
    }

    private static async Task<InferenceJobEnd> ServeAsync(
        InferenceJobOptions options, InferenceSetup setup, InferencePortalClient? portal, StartupTimeline startup, IInferenceJobOutput output, ILogger logger,
        CancellationTokenSource stopping)
    {
        var replica = setup.Options.Replica;
        using var served = new ServedModel(setup.Model, setup.Version);
        InferenceEngine engine;
        try
        {
            engine = new InferenceEngine(served, setup.Decoder, setup.Options, logger);
        }
        catch (ArgumentException e)
        {
            output.Error(e.Message);
            return InferenceJobEnd.Failed;
        }

        if (setup.Refused is { } refused)
        {
            engine.Stats.SetRefused(refused);
            output.Line(InferenceJobLines.Refused(replica, refused.Version, setup.Version, refused.Error));
            logger.LogWarning("Replica {Replica} refused model version {Version}: {Reason}", replica, refused.Version, refused.Error);
        }

        var reporter = portal is null ? null : new InferenceReporter(portal, engine.Stats.Snapshot, options.StatsInterval, logger);
        var assigned = false;
        var run = engine.RunAsync(new LineProgress(p =>
        {
            if (InferenceJobLines.Progress(p, setup) is { } line) output.Line(line);
            if (p.Kind is not (InferenceProgressKind.Assigned or InferenceProgressKind.Revoked or InferenceProgressKind.Lost)) return;
            // The portal counts held partitions to say running: tell it now, not at the next tick.
            reporter?.ReportSoon();
            if (assigned) return;
            assigned = true;
            startup.Mark("group join");
            output.Line(InferenceJobLines.Startup(replica, startup));
        }), stopping.Token);
        var reporting = reporter is null ? Task.FromResult(false) : Task.Run(() => ReportUntilGoneAsync(reporter, replica, output, stopping));
        // A portal's inference may be told to serve another model version while it runs: loaded beside, swapped between batches.
        var following = portal is null || setup.Loader is null
            ? Task.CompletedTask
            : Task.Run(() => new VersionFollower(portal, setup.Loader, served, engine.Stats, output, replica, logger, setup.Options.Chain).RunAsync(options.VersionPollInterval, stopping.Token));

        // Stats lines while running (only when something changed).
        string? last = null;
        while (!run.IsCompleted)
        {
            await Task.WhenAny(run, Task.Delay(options.StatsInterval));
            var line = InferenceJobLines.Stats(replica, engine.Stats);
            if (line != last) output.Line(line);
            last = line;
        }

        var end = InferenceJobEnd.Stopped;
        try
        {
            await run;
        }
        catch (InferenceEngineException e)
        {
            output.Error(e.Message);
            end = InferenceJobEnd.Failed;
        }
        await stopping.CancelAsync();
        var gone = await reporting;
        await following; // before the served model is disposed: a load may be under way
        if (reporter is not null && !gone) await PostFinalStatsAsync(reporter);
        output.Line(InferenceJobLines.Stopped(replica, engine.Stats));
        return end;
    }

    /// <summary>Posts stats every interval; true when the portal said the inference is gone (and the replica was stopped).</summary>
    private static async Task<bool> ReportUntilGoneAsync(InferenceReporter reporter, string replica, IInferenceJobOutput output, CancellationTokenSource stopping)
    {
        if (await reporter.RunAsync(stopping.Token) != StatsPostOutcome.Gone) return false;
        output.Line(InferenceJobLines.Gone(replica));
        await stopping.CancelAsync();
        return true;
    }

    private static async Task PostFinalStatsAsync(InferenceReporter reporter)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await reporter.PostOnceAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            // The final report is best effort.
        }
    }

    /// <summary>Calls back synchronously on the reporting thread (the engine's), so lines come out in order.</summary>
    private sealed class LineProgress(Action<InferenceProgress> onReport) : IProgress<InferenceProgress>
    {
        public void Report(InferenceProgress value) => onReport(value);
    }
}
