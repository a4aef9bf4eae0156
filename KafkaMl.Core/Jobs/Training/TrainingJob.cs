using System.Globalization;
using KafkaMl.Core.Control;
using KafkaMl.Core.Domain;
using KafkaMl.Core.Formats;
using KafkaMl.Core.Orchestration;
using KafkaMl.Core.Scripting;
using KafkaMl.Core.Streaming;
using KafkaMl.Core.Training;

namespace KafkaMl.Core.Jobs.Training;

/// <summary>
/// The training job (the <c>train</c> verb), start to end, as named stages: fetch the spec; build the model
/// (<see cref="ModelBuilder"/>, here, in the job's own short-lived process: the sandboxed place for running it);
/// report <c>deployed</c>; wait for the deployment's control message; pick the <see cref="TrainingMode"/> it calls
/// for; report <c>training</c> with the data found; then the mode's data source, training loop and publisher.
/// Any failure is reported as <c>failed</c> with a readable reason.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><b>Settings</b>: <see cref="TrainingSettingsResolver"/>.</item>
/// <item><b>Control message</b>: the first valid one for the deployment, read from the earliest offset
/// (<see cref="ControlMessageWaiter"/>).</item>
/// <item><b>Stopping</b>: cancelling the token (SIGTERM from the runner) ends the job quickly without reporting
/// <c>failed</c> — the portal marks the result stopped; a 409 from the portal on any report stops it the same way.</item>
/// </list>
/// </remarks>
public static class TrainingJob
{
    /// <summary>Safetensors metadata key holding the feature scaler's JSON (<c>{"mean": [...], "std": [...]}</c>).</summary>
    public const string ScalerMetadataKey = "kafkaml.scaler";

    /// <summary>Safetensors metadata key holding the shape of one input sample (<c>"3"</c>, <c>"1 28 28"</c>).</summary>
    public const string InputShapeMetadataKey = "kafkaml.input_shape";

    /// <summary>Safetensors metadata key holding the loss the model was trained with (decides how outputs become classes).</summary>
    public const string LossMetadataKey = "kafkaml.loss";

    /// <summary>Safetensors metadata key holding the model's name.</summary>
    public const string ModelMetadataKey = "kafkaml.model";

    /// <summary>
    /// Runs the job; never throws for what goes wrong in it (the outcome says), only for bad arguments.
    /// <paramref name="log"/> receives progress lines for the job's log.
    /// </summary>
    public static async Task<TrainingJobOutcome> RunAsync(
        TrainingJobContext context,
        ITrainingReporter reporter,
        IProgress<string>? log,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(reporter);
        ArgumentException.ThrowIfNullOrWhiteSpace(context.BootstrapServers);

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var reports = new ReportTracker(stop);
        try
        {
            var result = await RunStagesAsync(context, reporter, reports, log, stop.Token);
            return new TrainingJobOutcome(TrainingJobStatus.Finished, null, result);
        }
        catch (Exception e)
        {
            if (cancellationToken.IsCancellationRequested && e is OperationCanceledException)
            {
                log?.Report("stopped");
                return new TrainingJobOutcome(TrainingJobStatus.Stopped, "The training job was stopped.");
            }
            // A report the portal refused stopped the job: that is the reason, not the cancellation it caused.
            var cause = reports.Fault ?? e;
            switch (cause)
            {
                case TrainingResultClosedException closed:
                    log?.Report($"stopping: {closed.Message}");
                    return new TrainingJobOutcome(TrainingJobStatus.Stopped, closed.Message);
                case TrainingReportException { CanReportFailure: false } unreachable:
                    log?.Report($"failed: {unreachable.Message}");
                    return new TrainingJobOutcome(TrainingJobStatus.Failed, unreachable.Message);
            }
            var reason = Reason(cause);
            log?.Report($"failed: {reason}");
            await ReportFailureAsync(context, reporter, reason, log, cancellationToken);
            return new TrainingJobOutcome(TrainingJobStatus.Failed, reason);
        }
    }

    /// <summary>The settings the job trains with (<see cref="TrainingSettingsResolver.Resolve"/>).</summary>
    public static (TrainingSettings Settings, IReadOnlyList<string> Notes) ResolveSettings(
        TrainingJobSpec spec, ModelDefinition? definition, double controlValidationRate, double controlTestRate, int? torchThreads) =>
        TrainingSettingsResolver.Resolve(spec, definition, controlValidationRate, controlTestRate, torchThreads);

    private static async Task<TrainingResultReport> RunStagesAsync(
        TrainingJobContext context, ITrainingReporter reporter, ReportTracker reports, IProgress<string>? log, CancellationToken cancellationToken)
    {
        var spec = await FetchSpecAsync(context, reporter, log, cancellationToken);
        var definition = await BuildModelAsync(spec, context.ModelCompiler, log, cancellationToken);
        using var model = definition.Module;
        if (spec.InitialWeightsResultId is { } initial) await LoadInitialWeightsAsync(model, initial, reporter, log, cancellationToken);
        // Settings that cannot work fail now, not after the data came (the rates are checked again with the stream's).
        var (_, notes) = ResolveSettings(spec, definition, 0, 0, context.TorchThreads);
        foreach (var note in notes) log?.Report(note);
        reports.Track(reporter.ReportStatusAsync(new TrainingStatusReport(EnumNames.ToName(TrainingStatus.Deployed)), cancellationToken));
        if (spec.Federated is not null) // no data here: the job coordinates the sites' rounds (issue 19)
            return await Federated.FederatedCoordinator.RunAsync(new TrainingRun(context, spec, definition, Federated.FederatedCoordinator.Control(spec),
                ResolveSettings(spec, definition, 0, 0, context.TorchThreads).Settings, reporter, log) { Reports = reports }, cancellationToken);

        var found = await WaitForControlMessageAsync(context, spec, log, cancellationToken);
        var control = found.Message;
        var mode = TrainingModes.For(control, spec);
        if (mode.Note is { } why) log?.Report(why);
        if (mode.Resumes) context.Resumable?.Invoke();
        var (settings, _) = ResolveSettings(spec, definition, control.ValidationRate, control.TestRate, context.TorchThreads);
        var run = new TrainingRun(context, spec, definition, control, settings, reporter, log) { Reports = reports, ControlTimestamp = found.Timestamp };
        var data = mode.Source.Describe(run);
        run.Report((portal, ct) => portal.ReportStatusAsync(new TrainingStatusReport(EnumNames.ToName(TrainingStatus.Training), Data: data), ct), cancellationToken);

        var result = await mode.Loop.RunAsync(run, mode.Source.ReadAsync(run, cancellationToken), mode.Publisher, cancellationToken);
        log?.Report("finished");
        return result;
    }

    private static async Task<TrainingJobSpec> FetchSpecAsync(
        TrainingJobContext context, ITrainingReporter reporter, IProgress<string>? log, CancellationToken cancellationToken)
    {
        log?.Report($"training job of result {context.ResultId}: fetching its spec");
        var spec = await reporter.GetSpecAsync(cancellationToken);
        if (spec.ResultId != context.ResultId)
            throw new TrainingJobException($"The portal answered with the spec of result {spec.ResultId} instead of result {context.ResultId}.");
        log?.Report(TrainingLog.Describe(spec));
        return spec;
    }

    private static async Task<ModelDefinition> BuildModelAsync(
        TrainingJobSpec spec, ModelScriptCompiler? compiler, IProgress<string>? log, CancellationToken cancellationToken)
    {
        ModelDefinition definition;
        try
        {
            definition = await ModelBuilder.BuildAsync(spec.ModelCode ?? "", compiler, spec.Seed, cancellationToken);
        }
        catch (ModelBuildException e) when (e.FailedCompilation is { } compilation)
        {
            throw new TrainingJobException(
                $"The model script of '{spec.ModelName}' does not compile (line:column):{Environment.NewLine}{compilation.ErrorSummary}");
        }
        catch (ModelBuildException e) when (e.BuildError is { } error)
        {
            throw new TrainingJobException(error is InvalidOperationException
                ? error.Message
                : $"The model script of '{spec.ModelName}' threw while building the model: {error.GetType().Name}: {error.Message}", error);
        }
        var parameters = definition.Module.parameters().Sum(p => p.numel());
        log?.Report(string.Create(CultureInfo.InvariantCulture, $"model built: {parameters} parameters"));
        return definition;
    }

    /// <summary>
    /// Replaces the fresh initialisation with the weights of result <paramref name="initial"/> (fine-tuning): fetched from
    /// the portal into a temporary file and loaded strictly, so weights that do not fit fail the job naming the tensors.
    /// </summary>
    private static async Task LoadInitialWeightsAsync(
        TorchSharp.torch.nn.Module model, int initial, ITrainingReporter reporter, IProgress<string>? log, CancellationToken cancellationToken)
    {
        if (reporter is not IInitialWeightsSource source)
            throw new TrainingJobException($"The deployment starts from the weights of result {initial}, but this job has no portal to fetch them from.");
        var path = Path.Combine(Path.GetTempPath(), $"kafkaml-initial-{initial}-{Guid.NewGuid():N}.dat");
        await ModelWeights.LoadDownloadedAsync(model, path, file => source.DownloadInitialWeightsAsync(file, cancellationToken));
        log?.Report($"starting from the weights of result {initial}");
    }

    private static async Task<FoundControlMessage> WaitForControlMessageAsync(
        TrainingJobContext context, TrainingJobSpec spec, IProgress<string>? log, CancellationToken cancellationToken)
    {
        log?.Report($"waiting for a control message for deployment {spec.DeploymentId} on {context.ControlTopic}");
        var waiter = new ControlMessageWaiter(context.BootstrapServers, context.ControlTopic, context.WaitLogInterval, context.KafkaSettings, context.KafkaLogger);
        var found = await waiter.WaitAsync(spec.DeploymentId, log, cancellationToken);
        var control = found.Message;
        log?.Report(string.Create(CultureInfo.InvariantCulture,
            $"control message found at {context.ControlTopic}:{found.Partition}@{found.Offset}: {control.Topic} ({(control.TotalMsg is { } total ? $"{total} messages" : "an open stream")}, {control.InputFormat})"));
        return found;
    }

    private static async Task ReportFailureAsync(
        TrainingJobContext context, ITrainingReporter reporter, string reason, IProgress<string>? log, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested) return;
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(context.FailureReportTimeout);
        try
        {
            await reporter.ReportStatusAsync(new TrainingStatusReport(EnumNames.ToName(TrainingStatus.Failed), reason), bounded.Token);
        }
        catch (Exception e)
        {
            log?.Report($"the failure could not be reported to the portal: {e.Message}");
        }
    }

    /// <summary>The reason a result failed, for the portal and the log.</summary>
    private static string Reason(Exception e) => e switch
    {
        TrainingJobException or TrainingException or RangeReadException or ControlMessageException or DataFormatException
            or TrainingReportException => e.Message,
        OperationCanceledException => "The training job was cancelled.",
        OutOfMemoryException => $"The training job ran out of memory: {e.Message}",
        _ => $"The training job crashed: {e.GetType().Name}: {e.Message}",
    };
}
