using KafkaMl.Core;
using KafkaMl.Core.Orchestration;
using KafkaMl.Core.Orchestration.Kubernetes;
using KafkaMl.Core.Orchestration.Local;
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
    /// the results notifier, the training and inference orchestrators, the workload kinds and the Hangfire jobs that
    /// serve them all (start, stop, reconcile every 15 s and once at start). Needs Hangfire
    /// (<see cref="HangfireHostingExtensions.AddKafkaMlJobs"/>), the Kafka endpoint and the database.
    /// </summary>
    public static IHostApplicationBuilder AddKafkaMlOrchestration(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        builder.AddKafkaMlRunner();
        services.AddKafkaMlModelValidation();
        services.AddOptions<OrchestrationOptions>().BindConfiguration(KafkaMlOptions.Section);
        // Metrics of a diverged training are NaN or infinite: read and write them as JSON's named literals.
        services.ConfigureHttpJsonOptions(json => json.SerializerOptions.NumberHandling |=
            System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals);

        services.TryAddSingleton<JobTokens>();
        services.TryAddSingleton<PortalAddress>();
        services.TryAddSingleton<JobEnvironmentBuilder>();
        services.TryAddSingleton<ResultsNotifier>();
        services.TryAddSingleton<TrainingOrchestrator>();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<InferenceMonitor>();
        services.TryAddSingleton<InferenceOrchestrator>();

        // One workload kind per registration; the start, stop and reconcile jobs serve them all.
        services.TryAddSingleton<TrainingWorkload>();
        services.TryAddSingleton<InferenceWorkload>();
        services.AddSingleton<IWorkloadKind>(sp => sp.GetRequiredService<TrainingWorkload>());
        services.AddSingleton<IWorkloadKind>(sp => sp.GetRequiredService<InferenceWorkload>());
        services.AddTransient<StartWorkloadJob>();
        services.AddTransient<StopWorkloadJob>();
        services.AddTransient<ReconcileWorkloadJob>();
        services.AddHostedService<WorkloadJobsScheduler>();
        return builder;
    }

    /// <summary>The deployments, results, inferences and job (training reports, inference replicas) APIs.</summary>
    public static IEndpointRouteBuilder MapKafkaMlOrchestrationApi(this IEndpointRouteBuilder app)
    {
        app.MapDeploymentsApi();
        app.MapResultsApi();
        app.MapTrainingJobsApi();
        app.MapInferencesApi();
        app.MapInferenceJobsApi();
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

    /// <summary>
    /// The <see cref="IJobRunner"/> singleton that <c>KafkaMl:Runner</c> chooses: <c>local</c> (default; child
    /// processes, options from <c>KafkaMl:Local</c>) or <c>kubernetes</c> (Jobs and Deployments, options from
    /// <c>KafkaMl:Kubernetes</c>, which must name the image). Options are validated on start.
    /// </summary>
    public static IHostApplicationBuilder AddKafkaMlRunner(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddKafkaMlOptions();

        if (string.Equals(builder.Configuration.GetKafkaMlOptions().Runner, "kubernetes", StringComparison.OrdinalIgnoreCase))
            services.AddRunner<KubernetesJobRunner, KubernetesJobRunnerOptions, KubernetesJobRunnerOptionsValidator>(KubernetesJobRunnerOptions.Section);
        else // any other value is reported by KafkaMlOptionsValidator on start
            services.AddRunner<LocalJobRunner, LocalJobRunnerOptions, LocalJobRunnerOptionsValidator>(LocalJobRunnerOptions.Section);
        return builder;
    }

    /// <summary>One runner as the <see cref="IJobRunner"/> singleton, its options bound from <paramref name="section"/> and validated on start.</summary>
    private static void AddRunner<TRunner, TOptions, TValidator>(this IServiceCollection services, string section)
        where TRunner : class, IJobRunner
        where TOptions : class
        where TValidator : class, IValidateOptions<TOptions>
    {
        services.AddOptions<TOptions>().BindConfiguration(section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<TOptions>, TValidator>();
        services.AddSingleton<TRunner>();
        services.AddSingleton<IJobRunner>(sp => sp.GetRequiredService<TRunner>());
    }
}
