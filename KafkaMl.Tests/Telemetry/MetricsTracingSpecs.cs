using System.Diagnostics;
using KafkaMl.Core.Telemetry;
using Microsoft.AspNetCore.TestHost;
using OpenTelemetry.Trace;

namespace KafkaMl.Tests.Telemetry;

/// <summary>The portal's one OpenTelemetry provider also traces, but only when something exports the spans.</summary>
public sealed class MetricsTracingSpecs
{
    [Fact]
    public async Task A_portal_exporting_nowhere_records_no_spans()
    {
        await using var portal = new TracedPortal(tracing: null);
        using var http = portal.CreateClient();

        (await http.GetAsync("/api/models")).EnsureSuccessStatusCode();

        Assert.Null(portal.Services.GetService<TracerProvider>());
        Assert.Empty(portal.Spans);
    }

    [Fact]
    public async Task With_tracing_on_an_exporter_added_in_code_receives_the_requests_and_kafkaml_spans()
    {
        await using var portal = new TracedPortal(tracing: true);
        using var http = portal.CreateClient();

        (await http.GetAsync("/api/models")).EnsureSuccessStatusCode();
        using (var span = KafkaMlTelemetry.Source.StartActivity("metrics-spec-span")) Assert.NotNull(span);

        // The server span ends once the response is written, which may be just after the client has read it.
        var spans = await Eventually.Until(() => Task.FromResult(portal.Spans.ToArray()),
            all => all.Any(s => s.Kind == ActivityKind.Server && (s.GetTagItem("http.route") as string) == "/api/models/"), "the request's server span");
        Assert.Contains(spans, s => s.Source.Name == KafkaMlTelemetry.Name && s.DisplayName == "metrics-spec-span");
    }

    private sealed class TracedPortal(bool? tracing) : AdminPortalFactory("kafkaml-traced-")
    {
        public List<Activity> Spans { get; } = [];

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            if (tracing is { } on) builder.UseSetting("KafkaMl:Telemetry:Tracing", on ? "true" : "false");
            builder.ConfigureTestServices(services => services.ConfigureOpenTelemetryTracerProvider(t => t.AddInMemoryExporter(Spans)));
        }
    }
}
