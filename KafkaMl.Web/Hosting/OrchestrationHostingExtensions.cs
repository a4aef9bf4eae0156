using KafkaMl.Core;
using KafkaMl.Core.Orchestration;
using KafkaMl.Core.Scripting;
using KafkaMl.Web.Apis;
using KafkaMl.Web.Jobs;
using KafkaMl.Web.Services;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace KafkaMl.Web.Hosting;

public static class OrchestrationHostingExtensions
{
    /// <summary>
    /// Model validation, the job runner chosen by <c>KafkaMl:Runner</c>, job tokens, the portal's address for jobs,
    /// the results notifier, the training orchestrator and its Hangfire jobs (start, stop, reconcile every 15 s and
    /// once at start). Needs Hangfire (<see cref="HangfireHostingExtensions.AddKafkaMlJobs"/>), the Kafka endpoint
    /// and the database.
    /// </summary>
    public static IHostApplicationBuilder AddKafkaMlOrchestration(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddKafkaMlModelValidation();
        services.AddOptions<OrchestrationOptions>().BindConfiguration(KafkaMlOptions.Section);
        // Metrics of a diverged training are NaN or infinite: read and write them as JSON's named literals.
        services.ConfigureHttpJsonOptions(json => json.SerializerOptions.NumberHandling |=
            System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals);

        services.TryAddSingleton(CreateJobRunner);
        services.TryAddSingleton<JobTokens>();
        services.TryAddSingleton<PortalAddress>();
        services.TryAddSingleton<ResultsNotifier>();
        services.TryAddSingleton<TrainingOrchestrator>();

        services.AddTransient<StartTrainingJob>();
        services.AddTransient<StopTrainingWorkloadJob>();
        services.AddTransient<ReconcileTrainingJob>();
        services.AddHostedService<TrainingJobsScheduler>();
        return builder;
    }

    /// <summary>The deployments, results and training-job report APIs.</summary>
    public static IEndpointRouteBuilder MapKafkaMlOrchestrationApi(this IEndpointRouteBuilder app)
    {
        app.MapDeploymentsApi();
        app.MapResultsApi();
        app.MapTrainingJobsApi();
        return app;
    }

    /// <summary>
    /// Model-script validation for the models API: the in-process compiler (compile + sandbox, never run) and the
    /// <c>model-check</c> child process for the build and dry run.
    /// </summary>
    public static IServiceCollection AddKafkaMlModelValidation(this IServiceCollection services)
    {
        services.AddModelScripting();
        services.TryAddSingleton<IModelBuildChecker, ChildProcessModelBuildChecker>();
        services.TryAddSingleton<ModelValidator>();
        return services;
    }

    /// <summary>The job runner named by <c>KafkaMl:Runner</c> (validated on start to be <c>local</c> or <c>kubernetes</c>).</summary>
    private static IJobRunner CreateJobRunner(IServiceProvider services) =>
        services.GetRequiredService<IOptions<KafkaMlOptions>>().Value.Runner.Trim().ToLowerInvariant() switch
        {
            "local" => new UnavailableJobRunner("local"), // runner agent: ActivatorUtilities.CreateInstance<LocalJobRunner>(services)
            "kubernetes" => new UnavailableJobRunner("kubernetes"), // runner agent: ActivatorUtilities.CreateInstance<KubernetesJobRunner>(services)
            var other => throw new InvalidOperationException($"KafkaMl:Runner '{other}' is not a job runner; use local or kubernetes."),
        };

    /// <summary>Stands in for a runner not built yet: starting a job fails with a clear message; nothing else does.</summary>
    private sealed class UnavailableJobRunner(string kind) : IJobRunner
    {
        public string Kind => kind;

        private string Message => $"The '{kind}' job runner is not available in this build yet; training jobs cannot be started.";

        public Task StartAsync(JobSpec spec, CancellationToken cancellationToken) => throw new InvalidOperationException(Message);

        public Task StopAsync(string name, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task ScaleAsync(string name, int replicas, CancellationToken cancellationToken) => throw new InvalidOperationException(Message);

        public Task<JobState> GetStateAsync(string name, CancellationToken cancellationToken) =>
            Task.FromResult(new JobState(JobPhase.Unknown, Message));

        public Task<string?> GetLogAsync(string name, int tailLines, CancellationToken cancellationToken) => Task.FromResult<string?>(null);
    }
}
