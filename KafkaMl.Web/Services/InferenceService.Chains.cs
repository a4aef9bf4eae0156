using System.Text.Json.Nodes;
using KafkaMl.Core.Orchestration;
using KafkaMl.Core.Streaming;
using KafkaMl.Web.Apis;

namespace KafkaMl.Web.Services;

// An early-exit chain deployed in one action: one inference per stage, wired by topics (stage k forwards to
// "<input>-stage<k+1>"), each on its own Kafka if it names one; stopped, deleted and re-thresholded as one.
public sealed partial class InferenceService
{
    /// <summary>The input topic of stage <paramref name="stage"/> (&gt; 1) of a chain whose input is <paramref name="inputTopic"/>.</summary>
    public static string StageTopic(string inputTopic, int stage) => $"{inputTopic}-stage{stage}";

    /// <summary>What a later stage reads: the float32 tensor the stage below hands upward, RAW (its shape is the model's).</summary>
    public static readonly JsonObject StageInputConfig = new() { ["data_type"] = "float32" };

    /// <summary>
    /// Deploys every stage of <paramref name="draft"/>'s chain: stage 1 reads the request's input topic and format; stage k
    /// &gt; 1 reads <see cref="StageTopic"/> on its Kafka; every stage answers on the output topic of stage 1's Kafka. The
    /// request's <c>thresholds</c> (one per early exit; default the trade-off's suggestion) and <c>stages</c> (one per
    /// stage; a single one is refused: that is a plain model) are checked first; nothing is saved or started on an error.
    /// </summary>
    public async Task<Outcome<InferenceResponse>> CreateChainAsync(InferenceRequest request, InferenceDraft draft, ChainResultReport chain, CancellationToken cancellationToken = default)
    {
        var n = chain.Exits.Count;
        var firstReplicas = request.Stages is { Count: > 0 } given ? given[0]?.Replicas ?? request.Replicas : request.Replicas;
        var (errors, first) = Check(request with { Replicas = firstReplicas }, draft);
        void Add(string field, string message)
        {
            if (!errors.TryGetValue(field, out var list)) errors[field] = list = [];
            list.Add(message);
        }
        var stages = CheckStages(request, draft.ResultId, n, Add);
        var thresholds = CheckThresholds(request.Thresholds ?? Suggested(chain, n), draft.ResultId, n, Add);
        if (errors.Count > 0) return Outcome.Invalid(errors.ToDictionary(e => e.Key, e => e.Value.ToArray()));

        var members = new List<Inference>(n);
        for (var k = 1; k <= n; k++)
        {
            var stage = k == 1 ? first : new Inference
            {
                ResultId = first.ResultId,
                InputFormat = "RAW",
                InputConfig = StageInputConfig.ToJsonString(),
                InputTopic = StageTopic(first.InputTopic, k),
                OutputTopic = first.OutputTopic,
                PinnedVersion = first.PinnedVersion,
            };
            stage.Stage = k;
            stage.Replicas = stages[k - 1].Replicas ?? request.Replicas ?? 1;
            stage.BootstrapServers = stages[k - 1].BootstrapServers;
            stage.Threshold = k < n ? thresholds![k - 1] : null;
            stage.Status = InferenceStatus.Created;
            stage.StatusChanged = DateTimeOffset.UtcNow;
            members.Add(stage);
        }
        if (await EnsureChainTopicsAsync(members, request.Partitions, cancellationToken) is { } failure) return failure;

        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            db.Inferences.Add(first);
            try
            {
                await db.SaveChangesAsync(cancellationToken);
                foreach (var member in members) member.ChainId = first.Id;
                db.Inferences.AddRange(members.Skip(1));
                await db.SaveChangesAsync(cancellationToken);
                await transaction.CommitAsync(cancellationToken);
            }
            catch (DbUpdateException exception) when (exception.IsForeignKeyViolation())
            {
                return Outcome.NotFound($"Result {draft.ResultId} was deleted meanwhile; nothing was deployed.");
            }
        }
        foreach (var member in members)
        {
            orchestrator.EnqueueStart(member.Id);
            await monitor.NotifyStatusAsync(member.Id, member.Status);
        }
        return await GetAsync(first.Id, cancellationToken);
    }

    private static IReadOnlyList<double>? Suggested(ChainResultReport chain, int n) =>
        chain.SuggestedThreshold is { } suggested ? [.. Enumerable.Repeat(suggested, n - 1)] : null;

    private static IReadOnlyList<ChainStageRequest> CheckStages(InferenceRequest request, int resultId, int n, Action<string, string> add)
    {
        if (request.Stages is not { } stages) return [.. Enumerable.Repeat(new ChainStageRequest(null, null), n)];
        if (stages.Count == 1)
            add("stages", "A chain of one stage is refused: that is a plain model. Deploy all the chain's stages (one entry per stage), or serve a plain model.");
        else if (stages.Count != n)
            add("stages", $"Result {resultId} is a chain of {n} stages: give one entry per stage ({stages.Count} given).");
        var checkedStages = new List<ChainStageRequest>(n);
        for (var k = 0; k < n; k++)
        {
            var stage = k < stages.Count ? stages[k] ?? new ChainStageRequest(null, null) : new ChainStageRequest(null, null);
            if (stage.Replicas is < 1 or > InferenceOrchestrator.MaxReplicas)
                add($"stages[{k}].replicas", $"A stage runs 1 to {InferenceOrchestrator.MaxReplicas} replicas ({stage.Replicas} given).");
            checkedStages.Add(stage with { BootstrapServers = string.IsNullOrWhiteSpace(stage.BootstrapServers) ? null : stage.BootstrapServers.Trim() });
        }
        return checkedStages;
    }

    /// <summary>One threshold per early exit, each 0 or more (above 1: that exit never answers); null (with the reason added) otherwise.</summary>
    private static IReadOnlyList<double>? CheckThresholds(IReadOnlyList<double>? thresholds, int resultId, int n, Action<string, string> add)
    {
        if (thresholds is null)
        {
            add("thresholds", $"Result {resultId} has no exit trade-off to suggest thresholds from: give one per early exit ({n - 1}).");
            return null;
        }
        if (thresholds.Count != n - 1)
        {
            add("thresholds", $"A chain of {n} stages takes one threshold per early exit: {n - 1} ({thresholds.Count} given).");
            return null;
        }
        if (thresholds.Any(t => !double.IsFinite(t) || t < 0))
        {
            add("thresholds", "Thresholds are top-class probabilities: 0 or more (above 1, an exit never answers).");
            return null;
        }
        return thresholds;
    }

    /// <summary>Each stage's input and dead-letter topics on its Kafka, the output topic on stage 1's; null when all exist, else the failure.</summary>
    private async Task<Failure?> EnsureChainTopicsAsync(IReadOnlyList<Inference> stages, int? partitions, CancellationToken cancellationToken)
    {
        var kafka = options.Value.Kafka;
        foreach (var stage in stages)
        {
            IReadOnlyList<string> names = stage.Stage == 1
                ? [stage.InputTopic, stage.OutputTopic, TopicNames.DeadLetter(stage.InputTopic)]
                : [stage.InputTopic, TopicNames.DeadLetter(stage.InputTopic)];
            var creator = stage.BootstrapServers is { } servers ? TopicCreator.For(new KafkaEndpoint(servers, false, kafka.ControlTopic), null) : topics;
            try
            {
                var states = await creator.EnsureAsync(names, partitions ?? kafka.TopicPartitions, kafka.TopicReplicationFactor, cancellationToken);
                stage.InputPartitions = states[0].Partitions;
            }
            catch (TopicCreationException e) when (e.Problem == TopicCreationProblem.Unavailable)
            {
                return Outcome.Unavailable($"The topics of chain stage {stage.Stage} could not be created on {stage.BootstrapServers ?? "the portal's Kafka"}; nothing was deployed. {e.Message}");
            }
            catch (TopicCreationException e)
            {
                return Outcome.Invalid(stage.Stage == 1 && e.Topic == stage.OutputTopic ? "outputTopic" : "inputTopic", e.Message);
            }
        }
        return null;
    }

    /// <summary>
    /// Sets a running chain's thresholds (one per early exit, exit 1 first) on any of its stages' ids; the stages' replicas
    /// take them within a second, between batches, without a restart. 400 for a plain inference or a wrong list; 409 once stopped.
    /// </summary>
    public async Task<Outcome<InferenceResponse>> SetThresholdsAsync(int id, IReadOnlyList<double>? thresholds, CancellationToken cancellationToken = default)
    {
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            var members = await ChainMembersAsync(db, id, cancellationToken);
            if (members.Count == 0) return InferenceNotFound(id);
            if (members is [{ Stage: null }]) return Outcome.Invalid("thresholds", $"Inference {id} is not a stage of an early-exit chain: it has no thresholds.");
            if (members.FirstOrDefault(m => m.Status is InferenceStatus.Stopped or InferenceStatus.Failed) is { } ended)
                return Outcome.Conflict($"Chain stage {ended.Stage} (inference {ended.Id}) is {ended.Status.ToName()}; deploy the chain again.", "inferenceId", id);
            var failures = new List<string>();
            if (CheckThresholds(thresholds, members[0].ResultId, members.Count, (_, message) => failures.Add(message)) is not { } wanted)
                return Outcome.Invalid("thresholds", failures[0]);
            for (var k = 1; k < members.Count; k++)
            {
                var threshold = wanted[k - 1];
                var stageId = members[k - 1].Id;
                await db.Inferences.Where(i => i.Id == stageId).ExecuteUpdateAsync(set => set.SetProperty(i => i.Threshold, threshold), cancellationToken);
            }
            foreach (var member in members) await monitor.NotifyStatusAsync(member.Id, member.Status);
        }
        return await GetAsync(id, cancellationToken);
    }

    /// <summary>The stages of the chain inference <paramref name="id"/> belongs to, stage 1 first; itself alone for a plain inference; empty when unknown.</summary>
    private static async Task<List<Inference>> ChainMembersAsync(KafkaMlDbContext db, int id, CancellationToken cancellationToken)
    {
        var chainId = await db.Inferences.AsNoTracking().Where(i => i.Id == id).Select(i => new { i.ChainId }).SingleOrDefaultAsync(cancellationToken);
        if (chainId is null) return [];
        var query = chainId.ChainId is { } chain ? db.Inferences.Where(i => i.ChainId == chain) : db.Inferences.Where(i => i.Id == id);
        return await query.AsNoTracking().OrderBy(i => i.Stage).ToListAsync(cancellationToken);
    }

    private async Task<List<int>> ChainMemberIdsAsync(int id, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return [.. (await ChainMembersAsync(db, id, cancellationToken)).Select(m => m.Id)];
    }

    /// <summary>The chain's answered-by-exit shares over the monitor's history, in buckets of <paramref name="bucket"/>.</summary>
    public IReadOnlyList<ChainShares.Point> ChainSharesHistory(InferenceChainResponse chain, TimeSpan bucket) =>
        ChainShares.Over([.. chain.Stages.Select(s => monitor.Get(s.InferenceId).History)], bucket);

    /// <summary>The chain part of inference <paramref name="inference"/>'s response; null for a plain inference.</summary>
    private async Task<InferenceChainResponse?> ChainResponseAsync(KafkaMlDbContext db, Inference inference, CancellationToken cancellationToken) =>
        inference.ChainId is { } chain ? ChainResponse(inference, await ChainsAsync(db, [chain], cancellationToken)) : null;

    /// <summary>The stages of the chains <paramref name="chainIds"/>, in stage order, by chain (one query for a whole list).</summary>
    private static async Task<Dictionary<int, List<Inference>>> ChainsAsync(KafkaMlDbContext db, IReadOnlyCollection<int> chainIds, CancellationToken cancellationToken)
    {
        if (chainIds.Count == 0) return [];
        var members = await db.Inferences.AsNoTracking().Where(i => i.ChainId != null && chainIds.Contains(i.ChainId.Value)).OrderBy(i => i.Stage).ToListAsync(cancellationToken);
        return members.GroupBy(m => m.ChainId!.Value).ToDictionary(g => g.Key, g => g.ToList());
    }

    private InferenceChainResponse? ChainResponse(Inference inference, IReadOnlyDictionary<int, List<Inference>> chains) =>
        inference.ChainId is { } chain && chains.TryGetValue(chain, out var members)
            ? new InferenceChainResponse(
                chain,
                inference.Stage ?? 1,
                [.. members.Where(m => m.Threshold is not null).Select(m => m.Threshold!.Value)],
                [.. members.Select(m => ChainStageResponse.From(m, monitor.Get(m.Id)))])
            : null;
}
