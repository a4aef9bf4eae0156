using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace KafkaMl.Web.Services.Dashboards;

public static class DashboardHostingExtensions
{
    /// <summary>
    /// Live prediction dashboards: their options (<see cref="DashboardOptions.Section"/>), the shared readers and the use
    /// cases; and the live overview of the home page, which shows the pinned ones.
    /// </summary>
    public static IServiceCollection AddPredictionDashboards(this IServiceCollection services)
    {
        services.AddOptions<DashboardOptions>()
            .BindConfiguration(DashboardOptions.Section)
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<DashboardOptions>, DashboardOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<DashboardHub>();
        services.TryAddSingleton<DashboardService>();
        services.TryAddSingleton<Overview.OverviewService>();
        return services;
    }
}
