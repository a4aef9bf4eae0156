using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using KafkaMl.Core.Control;
using KafkaMl.Core.Domain;
using KafkaMl.Core.Formats;
using KafkaMl.Core.Orchestration;
using KafkaMl.Core.Scripting;
using KafkaMl.Core.Streaming;

namespace KafkaMl.Core.Training.Job;

/// <summary>
/// The training job (the <c>train</c> verb), start to end: fetch the spec; compile and build the model script
/// (here, in the job's own short-lived process: the sandboxed place for running it); report <c>deployed</c>;
/// wait for the deployment's control message; report <c>training</c> with the stream found; read exactly the
/// message ranges it names; shuffle (seeded), split and standardise; train, reporting every epoch; test;
/// upload the metrics and weights. Any failure is reported as <c>failed</c> with a readable reason.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><b>Which settings win</b>: a model script that returns a <see cref="ModelDefinition"/> fixing the loss,
/// optimizer, learning rate or metrics wins over the deployment for those (the script's author knows what the
/// network's output means); batch size, epochs, shuffle, early stopping and the seed are always the
/// deployment's. The split rates are the deployment's when it sets them, else the control message's.</item>
/// <item><b>Control message</b>: the first valid one for the deployment, read from the earliest offset
/// (<see cref="ControlMessageWaiter"/>).</item>
/// <item><b>Undecodable data fails the job</b>, naming the topic, partition and offset: training must see every
/// message the control message names, and a stream whose samples were silently dropped would give results
/// nobody could trust or reproduce. (Inference, by contrast, counts and dead-letters bad messages.)</item>
/// <item><b>Sample order</b> is the order of the ranges in the control message, then offsets, whatever order the
/// partitions arrive in — so the seeded shuffle gives the same split every time.</item>
/// <item><b>Standardisation</b> is on by default (<see cref="TrainingJobContext.StandardizeFeatures"/>): fitted on
/// the training split only, sent as the result's <c>scaler</c> and stored in the safetensors metadata
/// (<see cref="ScalerMetadataKey"/>), so inference applies the same transform.</item>
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

    /// <summary>The weight files' names in the work directory.</summary>
    public const string WeightsFileName = "model.dat";

    public const string SafetensorsFileName = "model.safetensors";

    /// <summary>Bound on compiling the script in the job (the portal already checked it within its own, tighter bound).</summary>
    private static readonly TimeSpan CompileTimeout = TimeSpan.FromSeconds(60);

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
            var result = await RunCoreAsync(context, reporter, reports, log, stop.Token);
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

    private static async Task<TrainingResultReport> RunCoreAsync(
        TrainingJobContext context,
        ITrainingReporter reporter,
        ReportTracker reports,
        IProgress<string>? log,
        CancellationToken cancellationToken)
    {
        log?.Report($"training job of result {context.ResultId}: fetching its spec");
        var spec = await reporter.GetSpecAsync(cancellationToken);
        if (spec.ResultId != context.ResultId)
            throw new TrainingJobException($"The portal answered with the spec of result {spec.ResultId} instead of result {context.ResultId}.");
        log?.Report(string.Create(CultureInfo.InvariantCulture,
            $"model '{spec.ModelName}' (id {spec.ModelId}) of deployment {spec.DeploymentId}: batch size {spec.BatchSize}, {spec.Epochs} epochs, " +
            $"{spec.Optimizer} lr {spec.LearningRate}, loss {spec.Loss}, metrics [{string.Join(", ", spec.Metrics)}], seed {spec.Seed}"));

        var definition = await BuildModelAsync(spec, context.ModelCompiler, log, cancellationToken);
        using var model = definition.Module;
        // Settings that cannot work fail now, not after the data came (the rates are checked again with the stream's).
        var (_, notes) = ResolveSettings(spec, definition, 0, 0, context.TorchThreads);
        foreach (var note in notes) log?.Report(note);
        reports.Track(reporter.ReportStatusAsync(new TrainingStatusReport(EnumNames.ToName(TrainingStatus.Deployed)), cancellationToken));

        log?.Report($"waiting for a control message for deployment {spec.DeploymentId} on {context.ControlTopic}");
        var waiter = new ControlMessageWaiter(context.BootstrapServers, context.ControlTopic, context.WaitLogInterval, context.KafkaSettings, context.KafkaLogger);
        var found = await waiter.WaitAsync(spec.DeploymentId, log, cancellationToken);
        var control = found.Message;
        log?.Report(string.Create(CultureInfo.InvariantCulture,
            $"control message found at {context.ControlTopic}:{found.Partition}@{found.Offset}: {control.Topic} ({control.TotalMsg} messages, {control.InputFormat})"));
        if (control.IsOpenStream || control.Incremental)
            throw new TrainingJobException("The control message announces an incremental (online) stream; training jobs train on bounded topic:partition:start:end ranges only.");

        var (settings, _) = ResolveSettings(spec, definition, control.ValidationRate, control.TestRate, context.TorchThreads);
        var ranges = control.GetRanges();
        var data = new TrainingDataReport(
            control.Topic,
            DataFormats.TryGet(control.InputFormat, out var format) ? format.Name : control.InputFormat,
            control.InputConfig.ToJsonObject(),
            checked((int)(control.TotalMsg ?? TopicRanges.Total(ranges))),
            settings.ValidationRate,
            settings.TestRate);
        reports.Track(reporter.ReportStatusAsync(new TrainingStatusReport(EnumNames.ToName(TrainingStatus.Training), Data: data), cancellationToken));

        var samples = FitInputShape(await ReadSamplesAsync(context, control, ranges, log, cancellationToken), definition, log);
        var split = samples.Split(settings.ValidationRate, settings.TestRate, settings.Seed);
        FeatureScaler? scaler = null;
        if (context.StandardizeFeatures) (split, scaler) = split.Standardize();
        log?.Report(string.Create(CultureInfo.InvariantCulture,
            $"{samples.Count} samples of shape {SampleSet.Describe(samples.FeatureShape)}: {split.Train.Count} for training, {split.Validation.Count} for validation, {split.Test.Count} for testing{(scaler is null ? "" : "; features standardised with the training split's mean and deviation")}"));

        var progress = new SynchronousProgress<EpochReport>(epoch =>
        {
            log?.Report(Describe(epoch));
            reports.Track(reporter.ReportEpochAsync(new EpochReportDto(epoch.Epoch, epoch.Train, epoch.Validation), cancellationToken));
        });
        var outcome = await Trainer.TrainAsync(model, split.Train, split.Validation, settings, progress, cancellationToken);
        log?.Report(string.Create(CultureInfo.InvariantCulture,
            $"trained {outcome.EpochsRun} epochs in {outcome.TrainingSeconds:0.##} s{(outcome.StoppedEarly ? $" (stopped early; weights of epoch {outcome.BestEpoch})" : "")}"));

        var test = Evaluator.Evaluate(model, split.Test, settings.Loss, settings.Metrics, cancellationToken: cancellationToken);
        log?.Report(test.Metrics.Count == 0 ? "no test samples (test rate 0): no test metrics" : "test " + Describe(test.Metrics, ""));

        var result = new TrainingResultReport(
            outcome.TrainMetrics,
            outcome.ValidationMetrics,
            test.Metrics,
            test.ConfusionMatrix,
            outcome.TrainingSeconds,
            scaler is null ? null : JsonNode.Parse(scaler.ToJson())!.AsObject());

        var ownDirectory = context.WorkDirectory is null;
        var directory = context.WorkDirectory ?? Path.Combine(Path.GetTempPath(), $"kafkaml-train-{context.ResultId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(directory);
        try
        {
            var artifacts = new TrainingArtifacts(Path.Combine(directory, WeightsFileName), Path.Combine(directory, SafetensorsFileName));
            ModelWeights.Save(model, artifacts.WeightsPath);
            ModelWeights.ExportSafeTensors(model, artifacts.SafetensorsPath, Metadata(spec, settings, samples, scaler));
            await reports.WhenAllAsync();
            log?.Report("uploading the result and the weights");
            await reporter.ReportResultAsync(result, artifacts, cancellationToken);
        }
        finally
        {
            if (ownDirectory) TryDelete(directory);
        }
        log?.Report("finished");
        return result;
    }

    /// <summary>
    /// The settings the job trains with: the deployment's, except that a script's <see cref="ModelDefinition"/>
    /// wins for the loss, optimizer, learning rate and metrics it fixes; the rates are the deployment's overrides or
    /// else the control message's. Also returns a line for each setting the script overrode.
    /// </summary>
    /// <exception cref="TrainingJobException">A setting is unknown or out of range.</exception>
    public static (TrainingSettings Settings, IReadOnlyList<string> Notes) ResolveSettings(
        TrainingJobSpec spec, ModelDefinition? definition, double controlValidationRate, double controlTestRate, int? torchThreads)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var notes = new List<string>();
        var lossName = Pick(definition?.Loss, spec.Loss, "the loss");
        var optimizerName = Pick(definition?.Optimizer, spec.Optimizer, "the optimizer");
        if (!EnumNames.TryParse<Loss>(lossName, out var loss))
            throw new TrainingJobException($"Unknown loss '{lossName}'; use one of {string.Join(", ", EnumNames.Names<Loss>())}.");
        if (!EnumNames.TryParse<Optimizer>(optimizerName, out var optimizer))
            throw new TrainingJobException($"Unknown optimizer '{optimizerName}'; use one of {string.Join(", ", EnumNames.Names<Optimizer>())}.");
        var learningRate = spec.LearningRate;
        if (definition?.LearningRate is double fixedRate)
        {
            if (fixedRate != spec.LearningRate)
                notes.Add(string.Create(CultureInfo.InvariantCulture, $"the model script fixes the learning rate to {fixedRate} (the deployment asked for {spec.LearningRate})"));
            learningRate = fixedRate;
        }
        var metrics = spec.Metrics ?? [];
        if (definition?.Metrics is { } fixedMetrics)
        {
            if (!fixedMetrics.SequenceEqual(metrics, StringComparer.OrdinalIgnoreCase))
                notes.Add($"the model script fixes the metrics to [{string.Join(", ", fixedMetrics)}] (the deployment asked for [{string.Join(", ", metrics)}])");
            metrics = fixedMetrics;
        }

        var settings = new TrainingSettings
        {
            BatchSize = spec.BatchSize,
            Epochs = spec.Epochs,
            LearningRate = learningRate,
            Optimizer = optimizer,
            Loss = loss,
            Metrics = [.. metrics],
            Shuffle = spec.Shuffle,
            Seed = spec.Seed,
            EarlyStopping = spec.EarlyStoppingPatience is int patience ? new EarlyStopping(patience, spec.EarlyStoppingMinDelta ?? 0) : null,
            ValidationRate = spec.ValidationRate ?? controlValidationRate,
            TestRate = spec.TestRate ?? controlTestRate,
            TorchThreads = torchThreads,
        };
        try
        {
            settings.Validate();
        }
        catch (ArgumentException e)
        {
            throw new TrainingJobException($"The training settings cannot be used: {e.Message}");
        }
        return (settings, notes);

        string Pick(string? fixedByScript, string deployment, string what)
        {
            if (fixedByScript is null) return deployment;
            if (!string.Equals(fixedByScript.Trim(), deployment?.Trim(), StringComparison.OrdinalIgnoreCase))
                notes.Add($"the model script fixes {what} to {fixedByScript} (the deployment asked for {deployment})");
            return fixedByScript;
        }
    }

    private static async Task<ModelDefinition> BuildModelAsync(
        TrainingJobSpec spec, ModelScriptCompiler? compiler, IProgress<string>? log, CancellationToken cancellationToken)
    {
        compiler ??= new ModelScriptCompiler(new ModelScriptCompilerOptions { CompileTimeout = CompileTimeout, MaxConcurrentCompilations = 1, CacheSize = 1 });
        var compilation = await compiler.CompileAsync(spec.ModelCode ?? "", cancellationToken);
        if (!compilation.Success)
        {
            throw new TrainingJobException(
                $"The model script of '{spec.ModelName}' does not compile (line:column):{Environment.NewLine}{compilation.ErrorSummary}");
        }

        // The initial weights are drawn while the module is built: seed first, so the same seed gives the same model.
        Trainer.SeedTorch(spec.Seed);
        ModelDefinition definition;
        try
        {
            definition = await ModelScriptRunner.BuildAsync(compilation, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new TrainingJobException(e is InvalidOperationException
                ? e.Message
                : $"The model script of '{spec.ModelName}' threw while building the model: {e.GetType().Name}: {e.Message}", e);
        }
        var parameters = definition.Module.parameters().Sum(p => p.numel());
        log?.Report(string.Create(CultureInfo.InvariantCulture, $"model built: {parameters} parameters"));
        return definition;
    }

    private static async Task<SampleSet> ReadSamplesAsync(
        TrainingJobContext context, ControlMessage control, IReadOnlyList<TopicRange> ranges, IProgress<string>? log, CancellationToken cancellationToken)
    {
        IDataDecoder decoder;
        try
        {
            decoder = control.CreateDecoder();
        }
        catch (DataFormatException e)
        {
            throw new TrainingJobException($"The stream's format cannot be read: {e.Message}", e);
        }

        var total = TopicRanges.Total(ranges);
        log?.Report(string.Create(CultureInfo.InvariantCulture, $"reading {total} messages from {control.Topic}"));
        // Decoded straight into one builder per range (contiguous arrays, so no message's arrays outlive it) and put
        // together in the control message's order at the end: partitions arrive interleaved.
        var builders = ranges.Select(r => SampleSet.CreateBuilder((int)Math.Min(r.Count, 1 << 20))).ToArray();
        var reader = new RangeReader(context.BootstrapServers, $"kafkaml-train-{context.ResultId}", new RangeReaderOptions
        {
            MissingDataTimeout = context.MissingDataTimeout,
            Settings = context.KafkaSettings,
            Logger = context.KafkaLogger,
        });
        var summary = await reader.ReadAsync(ranges, (index, message) =>
        {
            DecodedSample sample;
            try
            {
                sample = decoder.Decode(message.Message.Key ?? [], message.Message.Value ?? []);
            }
            catch (DataFormatException e)
            {
                throw new TrainingJobException(string.Create(CultureInfo.InvariantCulture,
                    $"The message at offset {message.Offset.Value} of topic {message.Topic} partition {message.Partition.Value} is not valid {decoder.Format} data for this stream: {e.Message} Training needs every message the control message names, so the job stops."), e);
            }
            try
            {
                builders[index].Add(sample);
            }
            catch (TrainingException e)
            {
                throw new TrainingJobException(string.Create(CultureInfo.InvariantCulture,
                    $"The message at offset {message.Offset.Value} of topic {message.Topic} partition {message.Partition.Value} does not match the messages before it: {e.Message}"), e);
            }
        }, cancellationToken);
        log?.Report(string.Create(CultureInfo.InvariantCulture,
            $"read {summary.Messages} messages from {control.Topic} in {summary.Elapsed.TotalSeconds:0.##} s{(summary.Absent > 0 ? $" ({summary.Absent} offsets of the ranges held no message: compacted away)" : "")}"));
        if (summary.Messages == 0) throw new TrainingJobException($"The ranges {control.Topic} hold no message to train on.");

        var parts = new List<SampleSet>(ranges.Count);
        for (var i = 0; i < ranges.Count; i++)
        {
            if (builders[i].Count == 0) continue;
            var part = builders[i].Build();
            builders[i] = SampleSet.CreateBuilder();
            if (parts.Count > 0 && SampleSet.Mismatch(parts[0], part) is { } problem)
                throw new TrainingJobException($"The messages of the range {ranges[i]} do not match the messages before them: {problem}");
            parts.Add(part);
        }
        return SampleSet.Concat(parts);
    }

    /// <summary>
    /// The samples in the shape the model script declares (<see cref="ModelDefinition.InputShape"/>): reshaped when
    /// only the shape differs (e.g. a flat 784-value stream for a <c>[1, 28, 28]</c> input); a failure naming both
    /// shapes when the sizes differ.
    /// </summary>
    private static SampleSet FitInputShape(SampleSet samples, ModelDefinition definition, IProgress<string>? log)
    {
        if (definition.InputShape is not { Count: > 0 } declared) return samples;
        var wanted = declared.Select(d => checked((int)d)).ToArray();
        if (wanted.SequenceEqual(samples.FeatureShape)) return samples;
        var size = wanted.Aggregate(1L, (product, d) => product * d);
        if (size != samples.FeatureSize)
        {
            throw new TrainingJobException(
                $"The stream's samples have shape {SampleSet.Describe(samples.FeatureShape)} ({samples.FeatureSize} values), but the model takes inputs of shape " +
                $"{SampleSet.Describe(wanted)} ({size} values). Send data that fits the model, or fix the data_reshape of the stream.");
        }
        log?.Report($"samples of shape {SampleSet.Describe(samples.FeatureShape)} reshaped to the model's input shape {SampleSet.Describe(wanted)}");
        return SampleSet.FromArrays(samples.Features.ToArray(), wanted,
            samples.HasLabels ? samples.Labels.ToArray() : null, samples.HasLabels ? samples.LabelShape : null);
    }

    private static Dictionary<string, string> Metadata(TrainingJobSpec spec, TrainingSettings settings, SampleSet samples, FeatureScaler? scaler)
    {
        var metadata = new Dictionary<string, string>
        {
            [ModelMetadataKey] = spec.ModelName,
            [LossMetadataKey] = settings.Loss.ToName(),
            [InputShapeMetadataKey] = string.Join(' ', samples.FeatureShape.Select(d => d.ToString(CultureInfo.InvariantCulture))),
        };
        if (scaler is not null) metadata[ScalerMetadataKey] = scaler.ToJson();
        return metadata;
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

    /// <summary><c>epoch 3/50 loss 0.6123 accuracy 0.71 val_loss 0.58 val_accuracy 0.7</c>.</summary>
    internal static string Describe(EpochReport epoch)
    {
        var text = new StringBuilder(string.Create(CultureInfo.InvariantCulture, $"epoch {epoch.Epoch}/{epoch.Epochs} "));
        text.Append(Describe(epoch.Train, ""));
        if (epoch.Validation.Count > 0) text.Append(' ').Append(Describe(epoch.Validation, "val_"));
        return text.ToString();
    }

    private static string Describe(IReadOnlyDictionary<string, double> metrics, string prefix) =>
        string.Join(' ', metrics.Select(m => string.Create(CultureInfo.InvariantCulture, $"{prefix}{m.Key} {m.Value:0.####}")));

    private static void TryDelete(string directory)
    {
        try
        {
            if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A temporary directory left behind is not worth failing a finished job.
        }
    }

    /// <summary>Calls back on the reporting thread, in order (<see cref="Progress{T}"/> would post to the thread pool).</summary>
    private sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}

/// <summary>A reason the training job cannot go on, worded for the user (it becomes the result's error).</summary>
public sealed class TrainingJobException : Exception
{
    public TrainingJobException(string message) : base(message) { }

    public TrainingJobException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>
/// Keeps the reports a job did not wait for; the first one that fails (other than by cancellation) is kept as
/// <see cref="Fault"/> and cancels the job.
/// </summary>
internal sealed class ReportTracker(CancellationTokenSource stop)
{
    private readonly List<Task> _pending = [];
    private Exception? _fault;

    public Exception? Fault => Volatile.Read(ref _fault);

    public void Track(Task report)
    {
        lock (_pending)
        {
            _pending.RemoveAll(t => t.IsCompletedSuccessfully);
            _pending.Add(report);
        }
        report.ContinueWith(static (task, state) =>
        {
            var tracker = (ReportTracker)state!;
            if (task.Exception?.GetBaseException() is not { } error || error is OperationCanceledException) return;
            if (Interlocked.CompareExchange(ref tracker._fault, error, null) is not null) return;
            try
            {
                tracker.Stop.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // The job already ended.
            }
        }, this, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>Completes when every tracked report was delivered; throws the first failure.</summary>
    public Task WhenAllAsync()
    {
        Task[] all;
        lock (_pending) all = [.. _pending];
        return Task.WhenAll(all);
    }

    private CancellationTokenSource Stop => stop;
}
