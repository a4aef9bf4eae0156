using KafkaMl.Web.Hosting;
using HangfireLevel = Hangfire.Logging.LogLevel;

namespace KafkaMl.Tests.Hosting;

/// <summary>
/// Hangfire's process-wide log provider may belong to a portal that has stopped (the suite hosts one portal after
/// another): it must keep handing out loggers, not throw from the next Hangfire object a live portal builds.
/// </summary>
public sealed class HangfireLogsSpecs
{
    [Fact]
    public void Messages_reach_the_portals_logger_at_the_mapped_level()
    {
        var sink = new RecordingProvider();
        using var factory = LoggerFactory.Create(logging => logging.AddProvider(sink).SetMinimumLevel(LogLevel.Debug));
        var log = new HangfireLogs(factory).GetLogger("Hangfire.Server.Worker");

        Assert.True(log.Log(HangfireLevel.Warn, () => "job 7 retried", new InvalidOperationException("boom")));
        Assert.False(log.Log(HangfireLevel.Trace, () => "below the minimum"));
        Assert.True(log.Log(HangfireLevel.Info, null)); // Hangfire's "is this level on?"

        var entry = Assert.Single(sink.Entries);
        Assert.Equal(("Hangfire.Server.Worker", LogLevel.Warning, "job 7 retried", "boom"), (entry.Category, entry.Level, entry.Message, entry.Exception?.Message));
    }

    [Fact]
    public void After_its_factory_was_disposed_it_hands_out_loggers_that_log_nowhere()
    {
        var factory = LoggerFactory.Create(logging => logging.AddProvider(new RecordingProvider()));
        var logs = new HangfireLogs(factory);
        factory.Dispose();
        Assert.Throws<ObjectDisposedException>(() => factory.CreateLogger("Hangfire")); // what Hangfire's own provider passes on

        var log = logs.GetLogger("Hangfire.Client.CoreBackgroundJobFactory");

        Assert.False(log.Log(HangfireLevel.Error, () => "nobody hears this"));
    }

    private sealed class RecordingProvider : ILoggerProvider
    {
        public List<(string Category, LogLevel Level, string Message, Exception? Exception)> Entries { get; } = [];

        public ILogger CreateLogger(string categoryName) => new Recorder(this, categoryName);

        public void Dispose()
        {
        }

        private sealed class Recorder(RecordingProvider provider, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                provider.Entries.Add((category, logLevel, formatter(state, exception), exception));
        }
    }
}
