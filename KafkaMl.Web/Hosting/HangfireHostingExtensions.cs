using Hangfire;
using Hangfire.Storage.SQLite;
using KafkaMl.Core;
using KafkaMl.Web.Auth;
using KafkaMl.Web.Jobs;

namespace KafkaMl.Web.Hosting;

public static class HangfireHostingExtensions
{
    /// <summary>How soon a worker finds an enqueued job (a deploy's start, a stop).</summary>
    public static readonly TimeSpan QueuePollInterval = TimeSpan.FromMilliseconds(500);

    /// <summary>Hangfire with persistent SQLite storage beside the portal's database, and one server.</summary>
    public static IHostApplicationBuilder AddKafkaMlJobs(this IHostApplicationBuilder builder)
    {
        var storagePath = Path.Combine(builder.Configuration.GetKafkaMlOptions().DataDirFullPath, "hangfire.db");

        builder.Services.AddHangfire((services, config) =>
        {
            config
                .UseLogProvider(new HangfireLogs(services.GetRequiredService<ILoggerFactory>()))
                .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
                .UseSimpleAssemblyNameTypeSerializer()
                .UseRecommendedSerializerSettings()
                // The SQLite storage has no wake-up on enqueue: workers find a new job only when they poll, every 15 s by
                // default, which a deploy waited through before its replicas started. Polling twice a second costs a few
                // small queries.
                .UseSQLiteStorage(storagePath, new SQLiteStorageOptions { QueuePollInterval = QueuePollInterval });
            TraceContextJobFilter.Register(config); // an API call's trace goes on in the jobs it enqueues
        });
        builder.Services.AddHangfireServer(server =>
        {
            server.WorkerCount = Math.Max(2, Environment.ProcessorCount);
            server.SchedulePollingInterval = TimeSpan.FromSeconds(5);
        });
        builder.Services.AddSingleton<HousekeepingStatus>();
        builder.Services.AddTransient<HousekeepingJob>();
        return builder;
    }

    /// <summary>The dashboard at <c>/hangfire</c>, for admins only, and the recurring jobs.</summary>
    public static WebApplication MapKafkaMlJobs(this WebApplication app)
    {
        // Hangfire's own filters (by default: local requests only) are replaced by the portal's admin policy.
        app.MapHangfireDashboard("/hangfire", new DashboardOptions { DashboardTitle = "KafkaMl jobs", AppPath = "/", Authorization = [] })
            .RequireAuthorization(KafkaMlPolicies.Admin);
        var recurring = app.Services.GetRequiredService<IRecurringJobManager>();
        recurring.AddOrUpdate<HousekeepingJob>(HousekeepingJob.RecurringId, job => job.RunAsync(), Cron.Hourly());
        return app;
    }
}
