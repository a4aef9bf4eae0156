using Hangfire.Logging;
using HangfireLevel = Hangfire.Logging.LogLevel;
using LogLevel = Microsoft.Extensions.Logging.LogLevel;

namespace KafkaMl.Web.Hosting;

/// <summary>
/// Hangfire's log provider, writing to the portal's <see cref="ILoggerFactory"/>. Hangfire keeps one provider for the
/// whole process and every host sets its own when it starts, so in a process that hosts one portal after another (the
/// test suite does, with dozens) the provider may belong to a portal that has stopped. Hangfire's own provider then
/// throws from every object Hangfire builds later (a live portal's first <c>IBackgroundJobClient</c> answered 500); this
/// one hands out loggers that log nowhere once its factory is gone.
/// </summary>
public sealed class HangfireLogs(ILoggerFactory factory) : ILogProvider
{
    public ILog GetLogger(string name)
    {
        try
        {
            return new ToLogger(factory.CreateLogger(name));
        }
        catch (ObjectDisposedException)
        {
            return Nowhere.Instance;
        }
    }

    private sealed class ToLogger(ILogger logger) : ILog
    {
        public bool Log(HangfireLevel logLevel, Func<string>? messageFunc, Exception? exception = null)
        {
            var level = Map(logLevel);
            // Hangfire asks whether a level is enabled by passing no message.
            if (messageFunc is null) return logger.IsEnabled(level);
            if (!logger.IsEnabled(level)) return false;
            logger.Log(level, exception, "{HangfireMessage}", messageFunc()); // already formatted by Hangfire
            return true;
        }

        private static LogLevel Map(HangfireLevel level) => level switch
        {
            HangfireLevel.Trace => LogLevel.Trace,
            HangfireLevel.Debug => LogLevel.Debug,
            HangfireLevel.Info => LogLevel.Information,
            HangfireLevel.Warn => LogLevel.Warning,
            HangfireLevel.Error => LogLevel.Error,
            _ => LogLevel.Critical,
        };
    }

    private sealed class Nowhere : ILog
    {
        public static readonly Nowhere Instance = new();

        public bool Log(HangfireLevel logLevel, Func<string>? messageFunc, Exception? exception = null) => false;
    }
}
