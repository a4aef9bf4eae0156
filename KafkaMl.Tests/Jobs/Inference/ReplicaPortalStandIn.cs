using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace KafkaMl.Tests.Jobs.Inference;

/// <summary>
/// The portal's inference job endpoints, as a replica sees them: spec, weights, the version to serve, stats (token
/// checked). It serves model versions: <see cref="Versions"/> holds each one's weights and scaler, <see cref="Wanted"/>
/// is the one <c>GET .../version</c> names (what the real portal resolves from a pin or the result's latest).
/// </summary>
internal sealed class ReplicaPortalStandIn : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<InferenceStatsReport> _stats = new();

    private ReplicaPortalStandIn(WebApplication app) => _app = app;

    public string Url { get; private set; } = "";

    public ConcurrentQueue<(string Path, string? Token)> Requests { get; } = new();

    /// <summary>Each version's weights and scaler.</summary>
    public ConcurrentDictionary<int, (byte[] Weights, JsonObject? Scaler)> Versions { get; } = new();

    /// <summary>The version the replicas are told to serve.</summary>
    public volatile int Wanted = 1;

    public volatile bool Gone;

    /// <summary>Serves <paramref name="spec"/> with <paramref name="weights"/> as version 1 (and its scaler).</summary>
    public static async Task<ReplicaPortalStandIn> StartAsync(InferenceJobSpec spec, byte[] weights, string token)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var standIn = new ReplicaPortalStandIn(app);
        standIn.Versions[1] = (weights, spec.Scaler);
        app.Use(async (context, next) =>
        {
            var sent = context.Request.Headers[JobEnvironment.TokenHeader].ToString();
            standIn.Requests.Enqueue((context.Request.Path.Value ?? "", sent));
            if (sent != token)
            {
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                return;
            }
            await next(context);
        });
        var id = spec.InferenceId;
        app.MapGet(InferenceJobRoutes.Spec(id), () =>
            Results.Json(spec with { Scaler = standIn.Versions[standIn.Wanted].Scaler, Version = standIn.Wanted }, JsonSerializerOptions.Web));
        app.MapGet(InferenceJobRoutes.Weights(id), (int? version) =>
            standIn.Versions.TryGetValue(version ?? standIn.Wanted, out var served) ? Results.Bytes(served.Weights, "application/octet-stream") : Results.NotFound());
        app.MapGet(InferenceJobRoutes.Version(id), (int? version) =>
            standIn.Versions.TryGetValue(version ?? standIn.Wanted, out var served)
                ? Results.Json(new InferenceVersionSpec(version ?? standIn.Wanted, served.Scaler), JsonSerializerOptions.Web)
                : Results.NotFound());
        app.MapPost(InferenceJobRoutes.Stats(id), async (HttpContext context) =>
        {
            if (standIn.Gone) return Results.NotFound();
            var report = await context.Request.ReadFromJsonAsync<InferenceStatsReport>(JsonSerializerOptions.Web);
            standIn._stats.Enqueue(report!);
            return Results.NoContent();
        });
        await app.StartAsync();
        standIn.Url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return standIn;
    }

    public async Task<InferenceStatsReport> WaitForStatsAsync(Func<InferenceStatsReport, bool> match)
    {
        var report = await Eventually.Until(() => _stats.FirstOrDefault(match), r => r is not null, _ => $"a matching stats report; got {_stats.Count}");
        return report!;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
