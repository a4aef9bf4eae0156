using KafkaMl.Core;
using KafkaMl.Core.Streaming;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace KafkaMl.Web.Apis;

/// <summary><c>GET /api/status</c>: how scripts, jobs and external producers find the broker.</summary>
public static class StatusApi
{
    public static IEndpointRouteBuilder MapStatusApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/status", GetStatus)
            .WithName("GetStatus")
            .WithSummary("Where the Kafka cluster is, which job runner is used, and the version")
            .WithTags("Status");
        return app;
    }

    public static Ok<StatusDto> GetStatus(KafkaEndpoint endpoint, IOptions<KafkaMlOptions> options) =>
        TypedResults.Ok(new StatusDto(
            new KafkaStatusDto(endpoint.BootstrapServers, endpoint.Embedded, endpoint.ControlTopic),
            options.Value.Runner.ToLowerInvariant(),
            AppVersion.Current));
}

public sealed record StatusDto(KafkaStatusDto Kafka, string Runner, string Version);

public sealed record KafkaStatusDto(string BootstrapServers, bool Embedded, string ControlTopic);
