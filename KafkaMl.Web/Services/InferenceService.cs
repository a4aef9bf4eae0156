using KafkaMl.Web.Jobs;
using System.Text.Json.Nodes;
using KafkaMl.Core;
using Microsoft.Extensions.Options;
using KafkaMl.Core.Formats;
using KafkaMl.Core.Inference;
using KafkaMl.Core.Orchestration;
using KafkaMl.Core.Streaming;
using KafkaMl.Web.Apis;

namespace KafkaMl.Web.Services;

/// <summary>What a finished (or not) result offers an inference: the facts the deploy form pre-fills and the checks use.</summary>
public sealed record InferenceDraft(
    int ResultId,
    string ModelName,
    TrainingStatus ResultStatus,
    bool WeightsAvailable,
    string? InputFormat,
    JsonObject? InputConfig,
    long? ModelInputValues,
    string SuggestedInputTopic,
    string SuggestedOutputTopic)
{
    /// <summary>The model versions the result has published, oldest first (version 1 for weights stored before versions).</summary>
    public IReadOnlyList<int> Versions { get; init; } = [];

    /// <summary>The result's early-exit chain report (its exits, the trade-off): deployed as one service per stage; null for a plain model.</summary>
    public ChainResultReport? Chain { get; init; }
}

/// <summary>
/// Inference services as the API and the pages use them — create from a finished result, list, detail with live
/// stats, stop, scale, delete — with the rules in one place (<see cref="Check"/> is also what the deploy form
/// runs before it submits). Starting and stopping replicas goes through <see cref="InferenceOrchestrator"/>.
/// </summary>
public sealed partial class InferenceService(
    IDbContextFactory<KafkaMlDbContext> contexts,
    InferenceOrchestrator orchestrator,
    InferenceMonitor monitor,
    ITopicCreator topics,
    IOptions<KafkaMlOptions> options,
    Dashboards.DashboardService dashboards)
{
    /// <summary>What result <paramref name="resultId"/> offers an inference; null when it does not exist.</summary>
    public async Task<InferenceDraft?> DraftAsync(int resultId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var result = await db.TrainingResults.AsNoTracking()
            .Where(r => r.Id == resultId)
            .Select(r => new { r.Id, ModelName = r.Model!.Name, r.Status, r.WeightsPath, r.InputFormat, r.InputConfig, r.Scaler, r.Chain })
            .SingleOrDefaultAsync(cancellationToken);
        if (result is null) return null;
        var versions = await InferenceVersions.NumbersAsync(db, resultId, cancellationToken);
        var suffix = Guid.NewGuid().ToString("N")[..6];
        return new InferenceDraft(
            result.Id,
            result.ModelName,
            result.Status,
            result.WeightsPath is not null,
            result.InputFormat,
            ResultInputResponse.ParseObject(result.InputConfig),
            InferenceInputFit.ModelInputValues(result.Scaler, result.InputFormat, result.InputConfig),
            $"inference-{result.Id}-in-{suffix}",
            $"inference-{result.Id}-out-{suffix}")
        {
            Versions = versions,
            Chain = result.Chain,
        };
    }

    /// <summary>
    /// The field errors of <paramref name="request"/> for <paramref name="draft"/>'s result (empty when it can be
    /// created) and the inference it describes. Unfinished results, topic names Kafka rejects and input configs
    /// that do not fit the model are refused here, before anything starts.
    /// </summary>
    public static (Dictionary<string, List<string>> Errors, Inference Inference) Check(InferenceRequest request, InferenceDraft draft)
    {
        var errors = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        void Add(string field, string message)
        {
            if (!errors.TryGetValue(field, out var list)) errors[field] = list = [];
            list.Add(message);
        }

        var inference = new Inference { ResultId = draft.ResultId };
        // A published version can be served whatever the result's state: an incremental training publishes while it runs.
        var servable = draft.Versions.Count > 0;
        if (!servable && draft.ResultStatus != TrainingStatus.Finished)
            Add("resultId", $"Result {draft.ResultId} is {draft.ResultStatus.ToName()}, not finished: only a finished training or one that published a model version can be deployed for inference.");
        else if (!servable && !draft.WeightsAvailable)
            Add("resultId", $"Result {draft.ResultId} has no trained weights stored; train it again.");

        if (!InferenceVersions.TryParse(request.Version, missingIsLatest: true, out var pinned, out var versionProblem)) Add("version", versionProblem!);
        else if (servable && InferenceVersions.Problem(pinned, draft.ResultId, draft.Versions) is { } unknown) Add("version", unknown);
        inference.PinnedVersion = pinned;

        var replicas = request.Replicas ?? 1;
        if (replicas is < 1 or > InferenceOrchestrator.MaxReplicas)
            Add("replicas", $"An inference runs 1 to {InferenceOrchestrator.MaxReplicas} replicas ({replicas} given).");
        inference.Replicas = replicas;

        if (request.Partitions is < 1 or > TopicCreator.MaxPartitions)
            Add("partitions", $"Topics have 1 to {TopicCreator.MaxPartitions} partitions ({request.Partitions} given).");

        inference.InputTopic = request.InputTopic?.Trim() ?? "";
        inference.OutputTopic = request.OutputTopic?.Trim() ?? "";
        if (TopicNames.Problem(inference.InputTopic) is { } inputProblem) Add("inputTopic", inputProblem);
        else if (TopicNames.Problem(TopicNames.DeadLetter(inference.InputTopic)) is { } dlqProblem)
            Add("inputTopic", $"Its dead-letter topic '{TopicNames.DeadLetter(inference.InputTopic)}' would be refused: {dlqProblem}");
        if (TopicNames.Problem(inference.OutputTopic) is { } outputProblem) Add("outputTopic", outputProblem);
        else if (string.Equals(inference.InputTopic, inference.OutputTopic, StringComparison.Ordinal))
            Add("outputTopic", "The output topic must differ from the input topic: predictions would be read back as input.");

        CheckInput(request, draft, inference, Add);
        return (errors, inference);
    }

    /// <summary>The format and config: given, else the result's stream's; must decode and fit the model's input.</summary>
    private static void CheckInput(InferenceRequest request, InferenceDraft draft, Inference inference, Action<string, string> add)
    {
        var formatName = string.IsNullOrWhiteSpace(request.InputFormat) ? draft.InputFormat : request.InputFormat;
        if (string.IsNullOrWhiteSpace(formatName))
        {
            add("inputFormat", $"Result {draft.ResultId} recorded no input format; give one of {string.Join(", ", DataFormats.Names)}.");
            return;
        }
        if (!DataFormats.TryGet(formatName, out var format))
        {
            add("inputFormat", $"'{formatName}' is not a known input format; use one of {string.Join(", ", DataFormats.Names)}.");
            return;
        }
        inference.InputFormat = format.Name;

        // The result's config goes with the result's format only; another format starts from its defaults.
        var sameFormat = string.Equals(format.Name, draft.InputFormat, StringComparison.OrdinalIgnoreCase);
        try
        {
            var config = request.InputConfig is not null
                ? InputConfig.From(request.InputConfig)
                : sameFormat && draft.InputConfig is not null ? InputConfig.From(draft.InputConfig) : InputConfig.Empty;
            inference.InputConfig = config.ToString();
            if (InferenceInputFit.Problem(format.Name, config, draft.ModelInputValues) is { } problem) add("inputConfig", problem);
        }
        catch (DataFormatException e)
        {
            add("inputConfig", e.Message);
        }
    }

    /// <summary>
    /// Creates the inference (status created) and has its replicas started in the background, once its input, output
    /// and dead-letter topics exist (made here when missing, so replicas never start on a topic that is not there): a
    /// topic Kafka refuses answers 400 on its field, an unreachable Kafka 503, and nothing is saved or started.
    /// </summary>
    public async Task<Outcome<InferenceResponse>> CreateAsync(InferenceRequest request, CancellationToken cancellationToken = default)
    {
        if (request.ResultId is not { } resultId) return Outcome.Invalid("resultId", "The result to serve is required.");
        var draft = await DraftAsync(resultId, cancellationToken);
        if (draft is null) return Outcome.NotFound($"Result {resultId} does not exist.");
        if (draft.Chain is { } chain) return await CreateChainAsync(request, draft, chain, cancellationToken);
        if (request.Thresholds is not null || request.Stages is not null)
            return Outcome.Invalid(request.Thresholds is not null ? "thresholds" : "stages", $"Result {resultId} is a plain model, not an early-exit chain: it has no stages or thresholds.");
        var (errors, inference) = Check(request, draft);
        if (errors.Count > 0) return Outcome.Invalid(errors.ToDictionary(e => e.Key, e => e.Value.ToArray()));

        IReadOnlyList<TopicState> states;
        try
        {
            var kafka = options.Value.Kafka;
            states = await topics.EnsureAsync(
                [inference.InputTopic, inference.OutputTopic, TopicNames.DeadLetter(inference.InputTopic)],
                request.Partitions ?? kafka.TopicPartitions, kafka.TopicReplicationFactor, cancellationToken);
        }
        catch (TopicCreationException e) when (e.Problem == TopicCreationProblem.Unavailable)
        {
            return Outcome.Unavailable($"The topics of the inference could not be created; nothing was deployed. {e.Message}");
        }
        catch (TopicCreationException e)
        {
            var field = e.Topic == inference.OutputTopic ? "outputTopic" : "inputTopic";
            return Outcome.Invalid(field, e.Message);
        }
        inference.InputPartitions = states[0].Partitions;
        var warnings = Warnings(inference.InputTopic, inference.InputPartitions, inference.Replicas);

        inference.Status = InferenceStatus.Created;
        inference.StatusChanged = DateTimeOffset.UtcNow;
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            db.Inferences.Add(inference);
            try
            {
                await db.SaveChangesAsync(cancellationToken);
            }
            catch (DbUpdateException exception) when (exception.IsForeignKeyViolation())
            {
                return Outcome.NotFound($"Result {resultId} was deleted meanwhile; nothing was deployed.");
            }
        }
        // Saved first, then started: replicas never run for an inference that does not exist.
        orchestrator.EnqueueStart(inference.Id);
        // Its own dashboard comes with it (issue 17); inferences made before this get theirs when the tab first opens.
        await dashboards.ForInferenceAsync(inference.Id, cancellationToken);
        await monitor.NotifyStatusAsync(inference.Id, inference.Status);
        var wanted = inference.PinnedVersion ?? (draft.Versions.Count > 0 ? draft.Versions[^1] : null);
        return Outcome.Ok(InferenceResponse.From(inference, draft.ModelName, InferenceLiveStats.None, wanted) with { Warnings = warnings });
    }

    /// <summary>A replica beyond the input topic's partition count would hold no partition: said, not refused.</summary>
    public static IReadOnlyList<string> Warnings(string inputTopic, int? inputPartitions, int replicas) =>
        inputPartitions is { } partitions && partitions < replicas
            ? [$"The input topic '{inputTopic}' has {partitions} partition(s) for {replicas} replicas: {replicas - partitions} replica(s) will sit idle."]
            : [];

    /// <summary>The inferences, newest first; only those serving <paramref name="resultId"/> when given.</summary>
    public async Task<IReadOnlyList<InferenceResponse>> ListAsync(int? resultId = null, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var query = db.Inferences.AsNoTracking();
        if (resultId is { } result) query = query.Where(i => i.ResultId == result);
        var rows = await WithVersions(db, query.OrderByDescending(i => i.Id)).ToListAsync(cancellationToken);
        var chains = await ChainsAsync(db, [.. rows.Select(r => r.Inference.ChainId).OfType<int>().Distinct()], cancellationToken);
        return rows.Select(r => r.Response(monitor.Get(r.Inference.Id)) with { Chain = ChainResponse(r.Inference, chains) }).ToList();
    }

    /// <summary>Inference <paramref name="id"/> with its live stats.</summary>
    public async Task<Outcome<InferenceResponse>> GetAsync(int id, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var row = await WithVersions(db, db.Inferences.AsNoTracking().Where(i => i.Id == id)).SingleOrDefaultAsync(cancellationToken);
        if (row is null) return InferenceNotFound(id);
        return Outcome.Ok(row.Response(monitor.Get(id)) with { Chain = await ChainResponseAsync(db, row.Inference, cancellationToken) });
    }

    /// <summary>The recent throughput and latency of inference <paramref name="id"/> (for the charts).</summary>
    public IReadOnlyList<InferenceStatsPoint> History(int id) => monitor.Get(id).History;

    /// <summary>
    /// Stops the replicas and marks the inference stopped (a stopped or failed one stays as it is, its replicas stopped
    /// again); every stage of a chain at once, whichever stage is named.
    /// </summary>
    public async Task<Outcome<InferenceResponse>> StopAsync(int id, CancellationToken cancellationToken = default)
    {
        var members = await ChainMemberIdsAsync(id, cancellationToken);
        if (members.Count == 0) return InferenceNotFound(id);
        foreach (var member in members)
        {
            await orchestrator.StopWorkloadAsync(member, cancellationToken);
            await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
            {
                if (await db.Inferences.TryMoveAsync(member, InferenceStatus.Stopped, null, cancellationToken))
                    await monitor.NotifyStatusAsync(member, InferenceStatus.Stopped);
            }
            monitor.Forget(member);
        }
        return await GetAsync(id, cancellationToken);
    }

    /// <summary>Runs <paramref name="replicas"/> replicas from now on (1 to <see cref="InferenceOrchestrator.MaxReplicas"/>).</summary>
    public async Task<Outcome<InferenceResponse>> ScaleAsync(int id, int? replicas, CancellationToken cancellationToken = default)
    {
        if (replicas is not { } count || count is < 1 or > InferenceOrchestrator.MaxReplicas)
            return Outcome.Invalid("replicas", $"An inference runs 1 to {InferenceOrchestrator.MaxReplicas} replicas ({replicas?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"} given).");
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var current = await db.Inferences.AsNoTracking().Where(i => i.Id == id)
            .Select(i => new { i.Status, i.InputTopic, i.InputPartitions }).SingleOrDefaultAsync(cancellationToken);
        if (current is null) return InferenceNotFound(id);
        var status = current.Status;
        if (status is InferenceStatus.Stopped or InferenceStatus.Failed)
            return Outcome.Conflict($"Inference {id} is {status.ToName()}; deploy the result again instead of scaling it.", "inferenceId", id);

        // Saved first: a start still to come then starts this many (and a start under way scales to it once it has
        // started: StartWorkloadJob); a workload the runner already runs is scaled now.
        await db.Inferences.Where(i => i.Id == id).ExecuteUpdateAsync(set => set.SetProperty(i => i.Replicas, count), cancellationToken);
        if (status != InferenceStatus.Created || await orchestrator.IsStartedAsync(id, cancellationToken))
        {
            try
            {
                await orchestrator.ScaleAsync(id, count, cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                return Outcome.Failed($"The job runner could not scale inference {id}: {e.Message}");
            }
        }
        await monitor.NotifyStatusAsync(id, status);
        var warnings = Warnings(current.InputTopic, current.InputPartitions, count);
        return (await GetAsync(id, cancellationToken)).Map(response => response with { Warnings = warnings });
    }

    /// <summary>
    /// Stops the replicas, then deletes the inference (its topics stay: they are the user's data); every stage of a chain
    /// at once, whichever stage is named.
    /// </summary>
    public async Task<Outcome<Done>> DeleteAsync(int id, CancellationToken cancellationToken = default)
    {
        var members = await ChainMemberIdsAsync(id, cancellationToken);
        if (members.Count == 0) return InferenceNotFound(id);
        foreach (var member in members) await orchestrator.StopWorkloadAsync(member, cancellationToken);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await db.Inferences.Where(i => members.Contains(i.Id)).ExecuteDeleteAsync(cancellationToken);
        foreach (var member in members)
        {
            monitor.Forget(member);
            await monitor.NotifyStatusAsync(member, InferenceStatus.Stopped);
        }
        return Outcome.Ok(Done.Value);
    }

    private static Failure InferenceNotFound(int id) => Outcome.NotFound($"Inference {id} does not exist.");
}
