using KafkaMl.Core;
using KafkaMl.Web.Apis;
using KafkaMl.Web.Auth;
using KafkaMl.Web.Components;
using KafkaMl.Web.Services.Dashboards;
using KafkaMl.Web.Telemetry;
using Microsoft.Extensions.FileProviders;
using MudBlazor.Services;

namespace KafkaMl.Web.Hosting;

/// <summary>The composition root of the portal, kept out of Program.cs.</summary>
public static class PortalHostingExtensions
{
    public static WebApplicationBuilder AddKafkaMlPortal(this WebApplicationBuilder builder)
    {
        // Static assets of packages (MudBlazor, Blazor's own script) in every environment, not just Development.
        builder.WebHost.UseStaticWebAssets();

        builder.Services.AddKafkaMlOptions();

        builder.AddKafkaBroker();
        builder.AddKafkaMlData();
        builder.AddKafkaMlAuth();
        builder.AddKafkaMlJobs();
        builder.AddKafkaMlOrchestration();
        builder.AddKafkaMlHealth();
        builder.AddControlLogger();
        builder.AddKafkaMlTelemetry();
        builder.Services.AddKafkaMlPortalServices();
        builder.Services.AddPredictionDashboards();

        builder.Services.AddProblemDetails();
        builder.Services.AddOpenApi();
        builder.Services.AddRazorComponents().AddInteractiveServerComponents();
        builder.Services.AddMudServices();
        return builder;
    }

    public static WebApplication MapKafkaMlPortal(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        // Before authentication: the product's own static files (styles, icon) are served to anyone, the sign-in page needs them.
        app.UseStaticFiles(new StaticFileOptions { FileProvider = new PhysicalFileProvider(AssetsDirectory()) });
        app.UseKafkaMlAuth();
        app.UseAntiforgery();

        app.MapStaticAssets().AllowAnonymous();
        app.MapOpenApi();
        app.UseSwaggerUI(ui =>
        {
            ui.SwaggerEndpoint("/openapi/v1.json", "KafkaMl API v1");
            ui.RoutePrefix = "api/docs";
            ui.DocumentTitle = "KafkaMl API";
        });
        // Public like /healthz: the send verb and inference replicas find the broker there; an address is no secret.
        app.MapGroup("").AllowAnonymous().MapStatusApi();
        app.MapKafkaMlApi();
        app.MapKafkaMlAccount();
        app.MapKafkaMlHealth();
        app.MapKafkaMlMetrics();
        app.MapKafkaMlJobs();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        app.AnnounceAddresses();
        return app;
    }

    /// <summary>The product's static assets (<c>wwwroot-assets</c>), copied beside the executable at build.</summary>
    private static string AssetsDirectory() => Path.Combine(AppContext.BaseDirectory, "wwwroot-assets");
}
