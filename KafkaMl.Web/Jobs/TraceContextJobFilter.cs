using System.Diagnostics;
using Hangfire;
using Hangfire.Client;
using Hangfire.Server;
using KafkaMl.Core.Telemetry;

namespace KafkaMl.Web.Jobs;

/// <summary>
/// Carries the trace across Hangfire: when a job is created under a span (an API call's), its W3C
/// <c>traceparent</c> is stored as the job parameter <see cref="KafkaMlTelemetry.TraceParentHeader"/>; when a worker
/// performs the job, a span <c>job Type.Method</c> starts as that span's child (a root when the job has none) and is
/// current while the job runs, so what the job starts (a workload's process: <c>TRACEPARENT</c>) continues the trace.
/// </summary>
public sealed class TraceContextJobFilter : IClientFilter, IServerFilter
{
    private const string SpanItem = "KafkaMl.Span";
    private static int _registered;

    /// <summary>Adds the filter to Hangfire's global filters, once per process however many portals a process hosts (tests).</summary>
    public static void Register(IGlobalConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        if (Interlocked.Exchange(ref _registered, 1) == 0) configuration.UseFilter(new TraceContextJobFilter());
    }

    public void OnCreating(CreatingContext context)
    {
        if (Activity.Current is { IdFormat: ActivityIdFormat.W3C } current) context.SetJobParameter(KafkaMlTelemetry.TraceParentHeader, current.Id);
    }

    public void OnCreated(CreatedContext context)
    {
    }

    public void OnPerforming(PerformingContext context)
    {
        ActivityContext.TryParse(context.GetJobParameter<string>(KafkaMlTelemetry.TraceParentHeader), null, isRemote: true, out var parent);
        var job = context.BackgroundJob.Job;
        var span = KafkaMlTelemetry.Source.StartActivity($"job {job.Type.Name}.{job.Method.Name}", ActivityKind.Consumer, parent);
        span?.SetTag("hangfire.job.id", context.BackgroundJob.Id);
        context.Items[SpanItem] = span;
    }

    public void OnPerformed(PerformedContext context)
    {
        if (!context.Items.TryGetValue(SpanItem, out var item) || item is not Activity span) return;
        if (context.Exception is { } failure && !context.ExceptionHandled) span.SetStatus(ActivityStatusCode.Error, failure.Message);
        span.Stop();
    }
}
