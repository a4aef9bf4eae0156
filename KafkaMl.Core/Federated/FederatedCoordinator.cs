using System.Globalization;
using System.Text.Json.Nodes;
using KafkaMl.Core.Control;
using KafkaMl.Core.Domain;
using KafkaMl.Core.Jobs.Training;
using KafkaMl.Core.Orchestration;
using KafkaMl.Core.Training;

namespace KafkaMl.Core.Federated;

/// <summary>
/// The training job of a federated result (a <see cref="TrainingJob"/> whose spec carries <see cref="FederatedSettings"/>):
/// holds no data. It publishes round r's global weights on the result's global topic, announces the model on
/// <see cref="FederatedTopics.ModelControl"/>, collects updates until <c>minSites</c> answered or the round timed out
/// (late and bad updates are counted and dropped), aggregates, reports the round to the portal as an epoch (weighted
/// means of the sites' metrics plus <c>sites</c>, <c>samples</c>, <c>rejected</c>), and after the last round uploads
/// the final weights as the result's, with the test metrics the sites measured on their own test splits (weighted by
/// their test samples). With standardisation on, round 0 collects the sites' statistics first.
/// </summary>
/// <remarks>Restarted after a crash, it reads its global topic back and goes on from the last completed round.</remarks>
public static class FederatedCoordinator
{
    /// <summary>What a federated run's "data" is, for the portal: the updates topic.</summary>
    public static ControlMessage Control(TrainingJobSpec spec) => new() { Topic = FederatedTopics.Updates(spec.ResultId), InputFormat = "RAW" };

    public static async Task<TrainingResultReport> RunAsync(TrainingRun run, CancellationToken cancellationToken)
    {
        var spec = run.Spec;
        var federated = spec.Federated ?? throw new ArgumentException("The spec is not of a federated deployment.", nameof(run));
        var context = run.Context;
        var model = run.Definition.Module;
        var (globalTopic, updateTopic) = (FederatedTopics.Global(spec.ResultId), FederatedTopics.Updates(spec.ResultId));
        var aggregator = Aggregators.For(federated);
        var standardize = context.StandardizeFeatures;
        var timeout = TimeSpan.FromSeconds(federated.RoundTimeoutS);

        using var publisher = new TransferPublisher(context.BootstrapServers, $"kafkaml-federated-{spec.ResultId}", context.KafkaSettings, context.KafkaLogger);
        publisher.EnsureTopics([globalTopic, updateTopic, FederatedTopics.ModelControl]);
        CoordinatorState state;
        using (var history = new TransferReader(context.BootstrapServers, globalTopic, $"kafkaml-federated-{spec.ResultId}-resume", context.KafkaSettings, context.KafkaLogger))
            state = CoordinatorState.Read(history, TimeSpan.FromSeconds(3), cancellationToken);
        context.Resumable?.Invoke();
        var global = state.Global ?? WeightSet.FromModel(model);
        var scaler = state.Scaler;
        if (state.Moments is { } moments && aggregator is FedAdam adam) adam.Restore(moments.M, moments.V);
        var round = state.Global is null ? (standardize ? 0 : 1) : state.NextRound;
        run.Say(state.Global is null ? $"federated result {spec.ResultId}: starting ({federated.Rounds} rounds of {federated.Aggregation.ToName()})"
            : $"federated result {spec.ResultId}: resuming at round {round} (the rounds before it are complete)");

        using var updates = new TransferReader(context.BootstrapServers, updateTopic, $"kafkaml-federated-{spec.ResultId}-updates", context.KafkaSettings, context.KafkaLogger);
        var announcement = Announcement(run, federated, globalTopic, updateTopic, standardize);
        var published = state.Global is not null;
        TrainingResultReport? last = null;
        int? lastSites = null;
        while (round <= federated.Rounds)
        {
            if (!published)
            {
                await PublishGlobalAsync(publisher, globalTopic, spec.ResultId, round, round == 0 ? null : global, scaler, aggregator, cancellationToken);
                if (round <= 1) await publisher.SendAsync(FederatedTopics.ModelControl, Key(spec), announcement.ToUtf8Json(), cancellationToken);
            }
            published = false;
            if (round == 1 || (round == 0 && state.Global is null))
                run.Report((r, ct) => r.ReportStatusAsync(new TrainingStatusReport(EnumNames.ToName(TrainingStatus.Training), Data: Data(updateTopic)), ct), cancellationToken);

            var collector = new RoundCollector(round, round == 0 ? TransferKinds.Statistics : TransferKinds.Update, round == 0 ? null : global);
            await CollectAsync(run, updates, collector, federated.MinSites, timeout, cancellationToken);
            var taken = collector.Updates.ToList();
            if (round == 0)
            {
                if (taken.Count > 0) scaler = ScalerStatistics.Combine([.. taken.Select(u => u.Manifest.Statistics!)]).ToScaler();
                run.Say($"round 0: standardisation statistics of {taken.Count} site(s){(scaler is null ? "; none came, so the sites train on raw features" : "")}");
                round++;
                continue;
            }
            if (taken.Count > 0) global = aggregator.Aggregate(global, [.. taken.Select(u => new WeightedWeights(u.Weights!, u.Samples))]);
            last = Report(run, round, taken, collector, cancellationToken);
            lastSites = taken.Count;
            round++;
        }

        await PublishGlobalAsync(publisher, globalTopic, spec.ResultId, round, global, scaler, aggregator, cancellationToken);
        // The sites evaluate the final weights on their own test splits before the announcement closes (which stops them).
        var test = await EvaluateAsync(run, updates, round, Math.Max(1, lastSites ?? federated.MinSites), timeout, cancellationToken);
        await publisher.SendAsync(FederatedTopics.ModelControl, Key(spec), (announcement with { State = ModelAnnouncement.Closed }).ToUtf8Json(), cancellationToken);
        global.LoadInto(model);
        model.eval();
        var result = last ?? new TrainingResultReport(new Dictionary<string, double>(), new Dictionary<string, double>(), new Dictionary<string, double>(), null, 0, null);
        result = result with { TestMetrics = test, Scaler = scaler is null ? null : JsonNode.Parse(scaler.ToJson())!.AsObject() };
        var shape = announcement.InputShape is { } input ? input.Select(d => (int)d).ToArray() : [];
        await new WeightsPublisher().PublishAsync(run, new TrainedModel(result, scaler, shape), cancellationToken);
        run.Say("finished: the final global model is the result's");
        return result;
    }

    /// <summary>What the result page shows as the run's stream: the updates topic (the data stays on the sites).</summary>
    private static TrainingDataReport Data(string updateTopic) => new(updateTopic, FederatedTopics.InputFormat, [], 0, 0, 0);

    private static string Key(TrainingJobSpec spec) => spec.ResultId.ToString(CultureInfo.InvariantCulture);

    private static async Task PublishGlobalAsync(
        TransferPublisher publisher, string topic, int resultId, int round, WeightSet? global, FeatureScaler? scaler, IAggregator aggregator, CancellationToken cancellationToken)
    {
        if (aggregator is FedAdam adam && global is not null)
        {
            var (m, v) = adam.State(global);
            var state = new TransferManifest { Transfer = Guid.NewGuid().ToString("N"), Kind = TransferKinds.ServerState, ResultId = resultId, Round = round };
            await publisher.PublishAsync(topic, WeightTransfer.Split(state, CoordinatorState.JoinMoments(m, v)), cancellationToken);
        }
        var manifest = new TransferManifest { Transfer = Guid.NewGuid().ToString("N"), Kind = TransferKinds.Global, ResultId = resultId, Round = round, Scaler = scaler };
        await publisher.PublishAsync(topic, WeightTransfer.Split(manifest, global), cancellationToken);
    }

    /// <summary>Takes updates until <paramref name="quorum"/> sites answered or <paramref name="timeout"/> passed.</summary>
    private static async Task CollectAsync(TrainingRun run, TransferReader updates, RoundCollector collector, int quorum, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (collector.Updates.Count < quorum && DateTime.UtcNow < deadline)
        {
            var left = deadline - DateTime.UtcNow;
            var read = await Task.Run(() => updates.Next(left < TimeSpan.FromSeconds(1) ? left : TimeSpan.FromSeconds(1), cancellationToken), cancellationToken);
            if (read.Rejected is { } rejected) run.Say($"round {collector.Round}: {collector.Reject(rejected.Reason, rejected.Message)}");
            else if (read.Transfer is { } transfer && collector.Offer(transfer) is { } why) run.Say($"round {collector.Round}: {why}");
            else if (read.Transfer is { Manifest: var m } && m.Round == collector.Round && m.Site is { } site) run.Say($"round {collector.Round}: site '{site}' answered ({m.Samples} samples)");
        }
        if (collector.Updates.Count < quorum)
            run.Say($"round {collector.Round}: timed out after {timeout.TotalSeconds:0} s with {collector.Updates.Count} of {quorum} site(s); going on with them");
    }

    /// <summary>
    /// Collects the sites' evaluations of the final weights (as many as answered the last round, or until the round
    /// timeout) and returns their test metrics' mean weighted by each site's test samples; empty when no site holds a test split.
    /// </summary>
    private static async Task<IReadOnlyDictionary<string, double>> EvaluateAsync(
        TrainingRun run, TransferReader updates, int round, int quorum, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var collector = new RoundCollector(round, TransferKinds.Evaluation, null);
        await CollectAsync(run, updates, collector, quorum, timeout, cancellationToken);
        var tested = collector.Updates.Where(u => u.Samples > 0).ToList();
        var metrics = WeightedMean(tested, u => u.Manifest.TestMetrics);
        run.Say(tested.Count == 0
            ? "final evaluation: no site holds a test split (its dataset's test_rate is 0), so the result has no test metrics"
            : string.Create(CultureInfo.InvariantCulture,
                $"final evaluation: {tested.Count} site(s) [{string.Join(", ", tested.Select(u => $"{u.Site}: {u.Samples}").Order(StringComparer.Ordinal))}] tested the final model on {tested.Sum(u => u.Samples)} samples of their own; {TrainingLog.Describe(metrics, "test_")}"));
        return metrics;
    }

    /// <summary>Reports a round as an epoch: sample-weighted means of the sites' metrics, plus sites, samples and rejected updates.</summary>
    private static TrainingResultReport Report(TrainingRun run, int round, IReadOnlyList<SiteUpdate> taken, RoundCollector collector, CancellationToken cancellationToken)
    {
        var train = WeightedMean(taken, u => u.Manifest.TrainMetrics);
        var validation = WeightedMean(taken, u => u.Manifest.ValidationMetrics);
        var samples = taken.Sum(u => u.Samples);
        train[RoundMetrics.Sites] = taken.Count;
        train[RoundMetrics.Samples] = samples;
        train[RoundMetrics.Rejected] = collector.RejectedCount;
        run.Say(string.Create(CultureInfo.InvariantCulture,
            $"round {round}: aggregated {taken.Count} site(s) [{string.Join(", ", taken.Select(u => u.Site).Order(StringComparer.Ordinal))}], {samples} samples, {collector.RejectedCount} rejected; {TrainingLog.Describe(validation, "val_")}"));
        var epoch = new EpochReportDto(round, train, validation);
        run.Report((reporter, ct) => reporter.ReportEpochAsync(epoch, ct), cancellationToken);
        return new TrainingResultReport(train, validation, new Dictionary<string, double>(), null, 0, null);
    }

    private static Dictionary<string, double> WeightedMean(IReadOnlyList<SiteUpdate> updates, Func<SiteUpdate, IReadOnlyDictionary<string, double>?> metrics)
    {
        var sums = new Dictionary<string, (double Sum, long Count)>(StringComparer.Ordinal);
        foreach (var update in updates)
            foreach (var (name, value) in metrics(update) ?? new Dictionary<string, double>())
                if (double.IsFinite(value))
                    sums[name] = sums.TryGetValue(name, out var s) ? (s.Sum + value * update.Samples, s.Count + update.Samples) : (value * update.Samples, update.Samples);
        return sums.ToDictionary(p => p.Key, p => p.Value.Sum / p.Value.Count, StringComparer.Ordinal);
    }

    private static ModelAnnouncement Announcement(TrainingRun run, FederatedSettings federated, string globalTopic, string updateTopic, bool standardize)
    {
        var (spec, definition, settings) = (run.Spec, run.Definition, run.Settings);
        long[]? input = definition.InputShape is { } shape ? [.. shape] : null;
        return new ModelAnnouncement
        {
            DeploymentId = spec.DeploymentId,
            ResultId = spec.ResultId,
            ModelName = spec.ModelName,
            ModelCode = spec.ModelCode,
            InputShape = input,
            OutputShape = input is null ? null : OutputShape(definition.Module, input),
            DataRestriction = federated.Restriction(),
            MinData = federated.MinData,
            Rounds = federated.Rounds,
            GlobalTopic = globalTopic,
            UpdateTopic = updateTopic,
            Aggregation = federated.Aggregation.ToName(),
            Mu = federated.Mu,
            ClipNorm = federated.ClipNorm,
            NoiseMultiplier = federated.NoiseMultiplier,
            Standardize = standardize,
            Training = new LocalTrainingSettings(settings.BatchSize, settings.Epochs, settings.LearningRate, settings.Optimizer.ToName(),
                settings.Loss.ToName(), settings.Metrics, settings.Shuffle, settings.Seed, spec.ValidationRate),
        };
    }

    private static long[] OutputShape(TorchSharp.torch.nn.Module<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor> model, long[] input)
    {
        using var scope = TorchSharp.torch.NewDisposeScope();
        using var noGrad = TorchSharp.torch.no_grad();
        model.eval();
        return model.forward(TorchSharp.torch.zeros([1, .. input]))
            .shape[1..];
    }
}

/// <summary>The metrics a federated round adds to its epoch report's training metrics.</summary>
public static class RoundMetrics
{
    public const string Sites = "sites";
    public const string Samples = "samples";
    public const string Rejected = "rejected";
}
