namespace KafkaMl.Web.Services;

public static class PortalServicesExtensions
{
    /// <summary>The services Razor components call; components never hold a DbContext or a Kafka client.</summary>
    public static IServiceCollection AddKafkaMlPortalServices(this IServiceCollection services)
    {
        services.AddScoped<PortalStatusService>();
        services.AddScoped<PortalQueries>();
        services.AddScoped<DatasourceService>();
        services.AddScoped<ResultViews>();
        services.AddScoped<PortalForms>();
        services.AddScoped<KafkaMl.Web.Auth.PortalWriteGuard>();
        services.AddSingleton<CsvUploader>();
        return services;
    }
}
