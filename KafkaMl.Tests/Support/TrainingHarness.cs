using KafkaMl.Core;
using KafkaMl.Tests.Apis;
using KafkaMl.Tests.Jobs;
using KafkaMl.Web.Jobs;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging.Abstractions;

namespace KafkaMl.Tests.Support;

/// <summary>
/// The portal side of training, wired by hand for handler-level tests: a real SQLite database in a temporary data
/// directory, a <see cref="FakeJobRunner"/>, a <see cref="RecordingBackgroundJobClient"/> (enqueued jobs are run by
/// the test when it wants), the real tokens, notifier and orchestrator.
/// </summary>
public sealed class TrainingHarness : IDisposable
{
    public const string PortalUrl = "http://127.0.0.1:5999";

    public TrainingHarness(TimeSpan? unknownJobGrace = null)
    {
        KafkaMlOptions = Options.Create(new KafkaMlOptions { DataDir = Database.DirectoryPath });
        OrchestrationOptions = Options.Create(new OrchestrationOptions
        {
            PortalUrl = PortalUrl,
            UnknownJobGrace = unknownJobGrace ?? TimeSpan.FromMinutes(1),
        });
        Tokens = new JobTokens(KafkaMlOptions, OrchestrationOptions);
        Environment = new JobEnvironmentBuilder(new PortalAddress(OrchestrationOptions, new NoServer()), Kafka);
        Orchestrator = new TrainingOrchestrator(Runner, Jobs, KafkaMlOptions, NullLogger<TrainingOrchestrator>.Instance);
        Workload = new TrainingWorkload(Tokens, Environment, Notifier);
    }

    public TestDatabase Database { get; } = new();

    public string DataDir => Database.DirectoryPath;

    public KafkaEndpoint Kafka { get; } = new("127.0.0.1:19092", true, "KAFKA_ML_CONTROL_TOPIC");

    public FakeJobRunner Runner { get; } = new();

    public RecordingBackgroundJobClient Jobs { get; } = new();

    public ResultsNotifier Notifier { get; } = new(NullLogger<ResultsNotifier>.Instance);

    public IOptions<KafkaMlOptions> KafkaMlOptions { get; }

    public IOptions<OrchestrationOptions> OrchestrationOptions { get; }

    public JobTokens Tokens { get; }

    public JobEnvironmentBuilder Environment { get; }

    public TrainingOrchestrator Orchestrator { get; }

    /// <summary>Training as the start, stop and reconcile jobs see it.</summary>
    public TrainingWorkload Workload { get; }

    public KafkaMlDbContext CreateContext() => Database.CreateContext();

    public StartWorkloadJob StartJob(KafkaMlDbContext db) =>
        new(db, Runner, [Workload], Jobs, NullLogger<StartWorkloadJob>.Instance);

    public ReconcileWorkloadJob ReconcileJob(KafkaMlDbContext db) =>
        new(db, Runner, [Workload], OrchestrationOptions, NullLogger<ReconcileWorkloadJob>.Instance);

    /// <summary>Runs every start enqueued so far, as Hangfire's server would (each with its own context).</summary>
    public async Task RunEnqueuedStartsAsync()
    {
        foreach (var resultId in Jobs.FirstArgumentsOf<StartWorkloadJob>().Cast<int>())
        {
            await using var db = CreateContext();
            await StartJob(db).RunAsync(resultId, JobKind.Training, null, CancellationToken.None);
        }
    }

    /// <summary>Creates a deployment of <paramref name="configurationId"/> through the API's handler; returns the response.</summary>
    public async Task<DeploymentResponse> DeployAsync(int configurationId)
    {
        await using var db = CreateContext();
        var result = await DeploymentsApi.CreateDeployment(OrchestrationBuilders.ADeploymentRequest(configurationId), new DeploymentService(new Apis.ContextsLike(db), Orchestrator, Notifier), CancellationToken.None);
        return Assert.IsType<Microsoft.AspNetCore.Http.HttpResults.Created<DeploymentResponse>>(result.Result).Value!;
    }

    /// <summary>A model, a configuration of it and a deployment with one result in <paramref name="status"/>; returns the result's id.</summary>
    public async Task<int> SeedResultAsync(TrainingStatus status = TrainingStatus.Deployed, DateTimeOffset? statusChanged = null)
    {
        var model = await Database.SeedModelAsync();
        var configuration = await Database.SeedConfigurationAsync(model.Id);
        var deployment = await Database.SeedDeploymentAsync(configuration.Id, model.Id);
        await using var db = CreateContext();
        var result = db.TrainingResults.Single(r => r.DeploymentId == deployment.Id);
        result.Status = status;
        result.ModelCode = model.Code;
        result.StatusChanged = statusChanged ?? DateTimeOffset.UtcNow;
        await db.SaveChangesAsync();
        return result.Id;
    }

    public async Task<TrainingResult> ReadResultAsync(int resultId)
    {
        await using var db = CreateContext();
        return db.TrainingResults.Single(r => r.Id == resultId);
    }

    /// <summary>Sets the result's status behind the code under test's back (as a job or a user racing it would).</summary>
    public async Task SetStatusAsync(int resultId, TrainingStatus status)
    {
        await using var db = CreateContext();
        await db.TrainingResults.Where(r => r.Id == resultId).ExecuteUpdateAsync(s => s.SetProperty(r => r.Status, status));
    }

    public void Dispose() => Database.Dispose();

    /// <summary>A server that listens nowhere (the harness configures the portal URL instead).</summary>
    private sealed class NoServer : IServer
    {
        public IFeatureCollection Features { get; } = new FeatureCollection();

        public Task StartAsync<TContext>(IHttpApplication<TContext> application, CancellationToken cancellationToken) where TContext : notnull => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public void Dispose()
        {
        }
    }
}
