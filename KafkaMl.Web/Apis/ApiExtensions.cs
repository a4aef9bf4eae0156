using KafkaMl.Web.Hosting;

namespace KafkaMl.Web.Apis;

public static class ApiExtensions
{
    /// <summary>Maps every REST resource of the platform under <c>/api</c>.</summary>
    public static IEndpointRouteBuilder MapKafkaMlApi(this IEndpointRouteBuilder app)
    {
        app.MapModelsApi();
        app.MapConfigurationsApi();
        app.MapDatasourcesApi();
        app.MapKafkaMlOrchestrationApi();
        return app;
    }
}
