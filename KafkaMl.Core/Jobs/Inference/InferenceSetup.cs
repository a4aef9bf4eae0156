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
    /// <summary>The model version <see cref="Model"/> is (null when serving files).</summary>
    public int? Version { get; init; }

    /// <summary>Builds the next versions from the same compilation (null when serving files: they have one version).</summary>
    public ModelLoader? Loader { get; init; }

    /// <summary>The version wanted at start that would not load, and why (an older one is served instead); null when none.</summary>
    public (int Version, string Error)? Refused { get; init; }

    /// <summary>
    /// The spec's version; when it will not load, the newest older version that does, with the refusal: a replica started
    /// (or restarted) after a broken version was published serves what the others keep serving.
    /// </summary>
    private static async Task<(InferenceModel Model, int Version, (int, string)? Refused)> LoadServableAsync(
        InferencePortalClient portal, ModelLoader loader, InferenceJobSpec spec, string weights, CancellationToken cancellationToken)
    {
        var wanted = spec.Version ?? 1;
        try
        {
            return (await loader.LoadAsync(weights, Scaler(spec.Scaler), cancellationToken), wanted, null);
        }
        catch (InferenceSetupException e) when (wanted > 1)
        {
            for (var older = wanted - 1; older >= 1; older--)
            {
                if (await portal.GetVersionAsync(cancellationToken, older) is not { } previous) continue;
                await portal.DownloadWeightsAsync(weights, cancellationToken, older);
                try
                {
                    return (await loader.LoadAsync(weights, Scaler(previous.Scaler), cancellationToken), older, (wanted, e.Message));
                }
                catch (InferenceSetupException)
                {
                    // Not this one either: an older one, then.
                }
            }
            throw;
        }
    }

    private static FeatureScaler? Scaler(System.Text.Json.Nodes.JsonObject? json) => json is null ? null : FeatureScaler.FromJson(json.ToJsonString());

    /// <summary>
    /// From the portal: the inference's spec and trained weights (retried while the portal restarts), and Kafka's
    /// address from <c>/api/status</c> when the options do not give it.
    /// </summary>
    public static async Task<InferenceSetup> FromPortalAsync(InferenceJobOptions options, InferencePortalClient portal, StartupTimeline startup, CancellationToken cancellationToken)
    {
        var spec = await portal.GetSpecAsync(cancellationToken);
        var (portalKafka, embedded) = await portal.GetKafkaStatusAsync(cancellationToken);
        var portalBootstrap = options.BootstrapServers
            ?? portalKafka
            ?? throw new InferenceSetupException($"Where is Kafka? Neither --bootstrap-servers, {JobEnvironment.BootstrapServersVariable} nor the portal's /api/status says.");
        // A chain stage may read from a Kafka of its own (an edge broker); the others are the portal's.
        var bootstrap = spec.Chain?.BootstrapServers ?? portalBootstrap;
        // The embedded broker holds empty fetches for the whole wait; a real cluster answers when data arrives.
        options = options with
        {
            FetchWaitMs = options.FetchWaitMs ?? (embedded == false ? InferenceJobOptions.ExternalFetchWaitMs : null),
            EmbeddedBroker = options.EmbeddedBroker ?? embedded,
        };
        var weights = Path.Combine(Path.GetTempPath(), $"kafkaml-infer-{spec.InferenceId}-r{options.Replica}-{Guid.NewGuid():N}.bin");
        try
        {
            // The spec's scaler is its version's: the weights must be that version's too (null: a portal before versions).
            await portal.DownloadWeightsAsync(weights, cancellationToken, spec.Version);
            startup.Mark("portal");
            var loader = await ModelLoader.CompileAsync(spec.ModelCode, spec.Loss, cancellationToken);
            if (spec.Chain is { } stage) loader = loader.ForStage(whole => ChainStageSetup.Stage(whole, stage));
            var (model, version, refused) = await LoadServableAsync(portal, loader, spec, weights, cancellationToken);
            startup.Mark("model");
            var decoder = DataFormats.CreateDecoder(spec.InputFormat, spec.InputConfig);
            var engine = options.EngineOptions(bootstrap, spec.InputTopic, spec.OutputTopic, spec.ConsumerGroup, spec.ModelName);
            if (spec.Chain is { } chain) engine = engine with { Chain = ChainStageSetup.Role(chain, portalBootstrap) };
            var description = spec.Chain is { } of ? $"of inference {spec.InferenceId} (chain stage {of.Stage} of {of.Stages}) " : $"of inference {spec.InferenceId} ";
            return new InferenceSetup(model, decoder, engine, description) { Version = version, Loader = loader, Refused = refused };
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
    /// Builds the model a replica serves (<see cref="ModelLoader"/>: compiled and sandbox-checked again, built
    /// <b>only in the job process</b>, never in the portal) and loads the trained weights (TorchSharp's format).
    /// </summary>
    /// <exception cref="InferenceSetupException">The script does not compile or build, the loss is unknown, or the weights do not fit.</exception>
    public static async Task<InferenceModel> LoadModelAsync(string code, string weightsPath, FeatureScaler? scaler, string? loss, CancellationToken cancellationToken)
    {
        var loader = await ModelLoader.CompileAsync(code, loss, cancellationToken).ConfigureAwait(false);
        return await loader.LoadAsync(weightsPath, scaler, cancellationToken).ConfigureAwait(false);
    }
}
