using System.Collections.Concurrent;
using System.Diagnostics;
using Hangfire;
using Hangfire.Client;
using Hangfire.Common;
using Hangfire.Logging;
using Hangfire.States;
using Hangfire.Storage.SQLite;
using KafkaMl.Core.Telemetry;
using KafkaMl.Web.Jobs;
using Microsoft.Extensions.Configuration;
using OpenTelemetry;
using OpenTelemetry.Trace;

namespace KafkaMl.Tests.Telemetry;

/// <summary>
/// The trace from an API call into a Hangfire job (a real client and server on SQLite storage, with the portal's
/// filter) and from there into a job process (its environment, and the root span the process starts from it).
/// </summary>
public sealed class TraceJobSpecs
{
    private const string Collector = "http://collector.example:4317";

    [Fact]
    public async Task A_job_enqueued_under_a_span_runs_under_a_child_of_it_and_a_job_enqueued_under_none_under_a_root()
    {
        var directory = Directory.CreateTempSubdirectory("kafkaml-trace-jobs-");
        try
        {
            // Hangfire's log provider and job activator are global: the last in-process portal of another spec set them
            // to its own logger factory and services, disposed once that portal stops. This spec's client and server
            // have no host: they log nowhere and activate with Hangfire's plain activator.
            LogProvider.SetCurrentLogProvider(new SilentLogProvider());
            using var tracing = Sdk.CreateTracerProviderBuilder().AddSource(KafkaMlTelemetry.Name).Build();
            var filters = new JobFilterCollection { new TraceContextJobFilter() };
            var storage = new SQLiteStorage(Path.Combine(directory.FullName, "hangfire.db"), new SQLiteStorageOptions { QueuePollInterval = TimeSpan.FromMilliseconds(50) });
            var client = new BackgroundJobClient(storage, new BackgroundJobFactory(filters), new BackgroundJobStateChanger(filters));
            using var server = new BackgroundJobServer(new BackgroundJobServerOptions { FilterProvider = filters, WorkerCount = 1, Activator = new JobActivator() }, storage);
            using var api = new Activity("POST /api/deployments").SetIdFormat(ActivityIdFormat.W3C).Start();

            var traced = await RecordedJob.RunAsync(client);
            api.Stop();
            var untraced = await RecordedJob.RunAsync(client);

            Assert.Equal((api.TraceId, api.SpanId), (traced.TraceId, traced.ParentSpanId));
            Assert.Equal($"job {nameof(RecordedJob)}.{nameof(RecordedJob.Record)}", traced.DisplayName);
            Assert.Equal(traced.Id, traced.TraceParentVariable); // a workload the job starts continues the trace
            Assert.NotEqual(api.TraceId, untraced.TraceId);
            Assert.Equal(default, untraced.ParentSpanId);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public void A_job_started_under_a_span_gets_its_traceparent_and_the_portals_collector_in_its_environment()
    {
        using var span = new Activity("job StartWorkloadJob.RunAsync").SetIdFormat(ActivityIdFormat.W3C).Start();

        var environment = Environment(Collector).For("token");

        Assert.Equal(span.Id, environment[JobTracing.TraceParentVariable]);
        Assert.Equal(Collector, environment[JobTracing.OtlpEndpointVariable]);
    }

    [Fact]
    public void A_job_started_under_no_span_without_a_collector_gets_neither()
    {
        var previous = Activity.Current;
        Activity.Current = null;
        try
        {
            var environment = Environment(collector: null).For("token");

            Assert.False(environment.ContainsKey(JobTracing.TraceParentVariable));
            Assert.False(environment.ContainsKey(JobTracing.OtlpEndpointVariable));
        }
        finally
        {
            Activity.Current = previous;
        }
    }

    [Fact]
    public void The_job_process_root_span_is_named_for_its_verb_and_is_a_child_of_its_TRACEPARENT()
    {
        var exported = new List<Activity>();
        var trace = ActivityTraceId.CreateRandom();
        var portalSpan = ActivitySpanId.CreateRandom();
        using (Sdk.CreateTracerProviderBuilder().AddSource(KafkaMlTelemetry.Name).AddInMemoryExporter(exported).Build())
        using (var tracing = JobTracing.Start("train", traceParent: $"00-{trace}-{portalSpan}-01", otlpEndpoint: null))
        {
            Assert.Same(tracing.Root, Activity.Current);
        }

        var root = Assert.Single(exported, s => s.TraceId == trace);
        Assert.Equal(("train", portalSpan), (root.DisplayName, root.ParentSpanId));
    }

    [Fact]
    public void A_job_process_refuses_an_otlp_endpoint_that_is_not_a_url()
    {
        var error = Assert.Throws<ArgumentException>(() => JobTracing.Start("infer", traceParent: null, otlpEndpoint: "collector:4317 please"));

        Assert.Contains(JobTracing.OtlpEndpointVariable, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "/v1/traces")]
    [InlineData("/otlp/", "/otlp/v1/traces")]
    public async Task Over_http_protobuf_a_job_process_posts_its_spans_to_the_signals_path_under_the_collectors_address(string basePath, string expectedPath)
    {
        // A stand-in OTLP/HTTP collector on loopback: the SDK appends /v1/traces only to an address it read from its own
        // variables, never to one set in code, so without KafkaMl's own rule the spans went to the bare address.
        var port = KafkaMl.Tests.Jobs.Training.FakePortal.FreePort();
        using var collector = new System.Net.HttpListener();
        collector.Prefixes.Add($"http://127.0.0.1:{port}/");
        collector.Start();
        var received = collector.GetContextAsync();

        var tracing = JobTracing.Start("train", traceParent: null, $"http://127.0.0.1:{port}{basePath}", OtlpTarget.HttpProtobuf);
        var flushed = Task.Run(tracing.Dispose); // ends the root span and exports it, waiting for the collector's answer
        var request = await received.WaitAsync(Eventually.Patience);
        request.Response.StatusCode = 200;
        request.Response.Close();
        await flushed.WaitAsync(Eventually.Patience);

        Assert.Equal(("POST", expectedPath, "application/x-protobuf"), (request.Request.HttpMethod, request.Request.Url!.AbsolutePath, request.Request.ContentType));
    }

    internal static JobEnvironmentBuilder Environment(string? collector)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(collector is null ? [] : [new(JobEnvironmentBuilder.OtlpEndpointKey, collector)])
            .Build();
        var portal = new PortalAddress(Options.Create(new OrchestrationOptions { PortalUrl = "http://127.0.0.1:5999" }), server: null!); // the URL is configured: no server asked
        return new JobEnvironmentBuilder(portal, new KafkaEndpoint("127.0.0.1:19092", true, "KAFKA_ML_CONTROL_TOPIC"), configuration);
    }
}

/// <summary>Hangfire logs nowhere (a spec's own client and server, outside any host).</summary>
internal sealed class SilentLogProvider : ILogProvider
{
    public ILog GetLogger(string name) => new SilentLog();

    private sealed class SilentLog : ILog
    {
        public bool Log(Hangfire.Logging.LogLevel logLevel, Func<string>? messageFunc, Exception? exception = null) => false;
    }
}

/// <summary>A Hangfire job (static, so the worker needs no activator) recording the span it runs under and the <c>TRACEPARENT</c> a workload it started would get.</summary>
public static class RecordedJob
{
    private static readonly ConcurrentDictionary<Guid, TaskCompletionSource<Recorded>> Runs = new();

    public static async Task<Recorded> RunAsync(IBackgroundJobClient client)
    {
        var id = Guid.NewGuid();
        var run = Runs.GetOrAdd(id, _ => new TaskCompletionSource<Recorded>(TaskCreationOptions.RunContinuationsAsynchronously));
        client.Enqueue(() => Record(id));
        return await run.Task.WaitAsync(Eventually.Patience);
    }

    public static void Record(Guid id)
    {
        var span = Activity.Current ?? throw new InvalidOperationException("The job runs under no span.");
        var variable = TraceJobSpecs.Environment(collector: null).For("token").GetValueOrDefault(JobTracing.TraceParentVariable);
        Runs[id].TrySetResult(new Recorded(span.TraceId, span.ParentSpanId, span.DisplayName, span.Id, variable));
    }

    /// <param name="TraceParentVariable">What a workload started by this job would get as <c>TRACEPARENT</c>.</param>
    public sealed record Recorded(ActivityTraceId TraceId, ActivitySpanId ParentSpanId, string DisplayName, string? Id, string? TraceParentVariable);
}
