using KafkaMl.Core.Domain;
using KafkaMl.Core.Formats;
using KafkaMl.Core.Inference;
using KafkaMl.Core.Orchestration;
using KafkaMl.Core.Scripting;
using KafkaMl.Core.Training;

namespace KafkaMl.Core.Jobs.Inference;

/// <summary>What a replica serves: the model, the decoder of its input stream, the engine's options, and how its lines name it.</summary>
public sealed record InferenceSetup(InferenceModel Model, IDataDecoder Decoder, InferenceEngineOptions Options, string Description)
{
    /// <summary>
    /// From the portal: the inference's spec and trained weights (retried while the portal restarts), and Kafka's
    /// address from <c>/api/status</c> when the options do not give it.
    /// </summary>
    public static async Task<InferenceSetup> FromPortalAsync(InferenceJobOptions options, InferencePortalClient portal, StartupTimeline startup, CancellationToken cancellationToken)
    {
        var spec = await portal.GetSpecAsync(cancellationToken);
        var (portalKafka, embedded) = await portal.GetKafkaStatusAsync(cancellationToken);
        var bootstrap = options.BootstrapServers
            ?? portalKafka
            ?? throw new InferenceSetupException($"Where is Kafka? Neither --bootstrap-servers, {JobEnvironment.BootstrapServersVariable} nor the portal's /api/status says.");
        // The embedded broker holds empty fetches for the whole wait; a real cluster answers when data arrives.
        options = options with
        {
            FetchWaitMs = options.FetchWaitMs ?? (embedded == false ? InferenceJobOptions.ExternalFetchWaitMs : null),
            EmbeddedBroker = options.EmbeddedBroker ?? embedded,
        };
        var weights = Path.Combine(Path.GetTempPath(), $"kafkaml-infer-{spec.InferenceId}-r{options.Replica}-{Guid.NewGuid():N}.bin");
        try
        {
            await portal.DownloadWeightsAsync(weights, cancellationToken);
            startup.Mark("portal");
            var scaler = spec.Scaler is null ? null : FeatureScaler.FromJson(spec.Scaler.ToJsonString());
            var model = await LoadModelAsync(spec.ModelCode, weights, scaler, spec.Loss, cancellationToken);
            startup.Mark("model");
            var decoder = DataFormats.CreateDecoder(spec.InputFormat, spec.InputConfig);
            var engine = options.EngineOptions(bootstrap, spec.InputTopic, spec.OutputTopic, spec.ConsumerGroup, spec.ModelName);
            return new InferenceSetup(model, decoder, engine, $"of inference {spec.InferenceId} ");
        }
        finally
        {
            try { File.Delete(weights); } catch (IOException) { }
        }
    }

    /// <summary>Without a portal: the model script, weights and scaler from files, the topics from the options.</summary>
    public static async Task<InferenceSetup> FromFilesAsync(InferenceJobOptions options, StartupTimeline startup, CancellationToken cancellationToken)
    {
        var code = await File.ReadAllTextAsync(options.ModelScript!, cancellationToken);
        var scaler = options.Scaler is null ? null : FeatureScaler.Load(options.Scaler);
        var model = await LoadModelAsync(code, options.Weights!, scaler, options.Loss, cancellationToken);
        startup.Mark("model");
        var decoder = DataFormats.CreateDecoder(options.InputFormat, options.InputConfig);
        var bootstrap = options.BootstrapServers
            ?? throw new InferenceSetupException($"Where is Kafka? Give --bootstrap-servers or {JobEnvironment.BootstrapServersVariable}.");
        var engine = options.EngineOptions(bootstrap, options.InputTopic!, options.OutputTopic!, options.Group!,
            options.ModelName ?? Path.GetFileNameWithoutExtension(options.ModelScript!));
        return new InferenceSetup(model, decoder, engine, "");
    }

    /// <summary>
    /// Builds the model a replica serves (<see cref="ModelBuilder"/>: compiled and sandbox-checked again, built
    /// <b>only in the job process</b>, never in the portal) and loads the trained weights (TorchSharp's format,
    /// <see cref="ModelWeights.Load"/>).
    /// </summary>
    /// <param name="code">The model script.</param>
    /// <param name="weightsPath">The trained weights file.</param>
    /// <param name="scaler">The training's feature scaler, or null.</param>
    /// <param name="loss">The training loss name (<c>cross_entropy</c>, ...); null: the script's own, if any.</param>
    /// <param name="cancellationToken">Stops compiling/building.</param>
    /// <exception cref="InferenceSetupException">The script does not compile or build, the loss is unknown, or the weights do not fit.</exception>
    public static async Task<InferenceModel> LoadModelAsync(string code, string weightsPath, FeatureScaler? scaler, string? loss, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(code);
        ArgumentException.ThrowIfNullOrWhiteSpace(weightsPath);
        ModelDefinition definition;
        try
        {
            definition = await ModelBuilder.BuildAsync(code, compiler: null, seed: null, cancellationToken).ConfigureAwait(false);
        }
        catch (ModelBuildException e)
        {
            throw new InferenceSetupException(e.Message, e);
        }

        Loss? parsedLoss = null;
        var lossName = string.IsNullOrWhiteSpace(loss) ? definition.Loss : loss;
        if (!string.IsNullOrWhiteSpace(lossName))
        {
            if (!EnumNames.TryParse<Loss>(lossName, out var value))
            {
                definition.Module.Dispose();
                throw new InferenceSetupException($"'{lossName}' is not a known loss; use one of {string.Join(", ", EnumNames.Names<Loss>())}.");
            }
            parsedLoss = value;
        }

        try
        {
            ModelWeights.Load(definition.Module, weightsPath);
            return new InferenceModel(definition.Module, scaler, parsedLoss, definition.InputShape);
        }
        catch (Exception e) when (e is TrainingException or ArgumentException or IOException)
        {
            definition.Module.Dispose();
            throw new InferenceSetupException(e.Message, e);
        }
    }
}
