using KafkaMl.Core.Broker;
using KafkaMl.Core.Streaming;
using KafkaMl.Web.Auth;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace KafkaMl.Web.Services;

public static class PortalServicesExtensions
{
    /// <summary>The services Razor components call; components never hold a DbContext or a Kafka client.</summary>
    public static IServiceCollection AddKafkaMlPortalServices(this IServiceCollection services)
    {
        services.AddKafkaMlUseCases();
        services.AddScoped<PortalStatusService>();
        services.AddScoped<PortalQueries>();
        services.AddScoped<PortalForms>();
        services.AddScoped<PortalWriteGuard>();
        services.AddSingleton<CsvUploader>();
        return services;
    }

    /// <summary>
    /// One service per resource, holding its rules, called by both the REST handlers and the pages (each opens a
    /// database context per call). Resolved when first asked for, so a host serving part of the API needs only what
    /// that part uses (models: <see cref="ModelValidator"/>; deployments and results: the training orchestrator).
    /// </summary>
    public static IServiceCollection AddKafkaMlUseCases(this IServiceCollection services)
    {
        services.TryAddSingleton<ModelService>();
        services.TryAddSingleton<ConfigurationService>();
        services.TryAddSingleton<DeploymentService>();
        services.TryAddSingleton<ResultService>();
        services.TryAddSingleton<InferenceService>();
        // Deploys make their topics: through the embedded broker's own API when it runs in this process, else the admin API.
        services.TryAddSingleton<ITopicCreator>(sp => TopicCreator.For(
            sp.GetRequiredService<KafkaEndpoint>(), sp.GetService<EmbeddedBroker>(), sp.GetService<ILoggerFactory>()));
        services.TryAddScoped<DatasourceService>();
        services.TryAddSingleton<FederationService>();
        return services;
    }
}
