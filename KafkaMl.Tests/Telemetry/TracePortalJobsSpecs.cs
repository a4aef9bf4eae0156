using Hangfire;
using KafkaMl.Web.Jobs;

namespace KafkaMl.Tests.Telemetry;

/// <summary>The portal's Hangfire carries traces into its jobs (<see cref="TraceContextJobFilter"/>).</summary>
[Collection(PortalCollection.Name)]
public sealed class TracePortalJobsSpecs(PortalFactory portal)
{
    [Fact]
    public void The_portal_registers_the_trace_filter_with_hangfire_once()
    {
        _ = portal.Services.GetRequiredService<IGlobalConfiguration>();

        Assert.Single(GlobalJobFilters.Filters, filter => filter.Instance is TraceContextJobFilter);
    }
}
