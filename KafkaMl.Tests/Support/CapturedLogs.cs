using System.Collections.Concurrent;

namespace KafkaMl.Tests.Support;

/// <summary>
/// An <see cref="ILoggerProvider"/> keeping everything logged through it: each entry's formatted message, the values
/// of its template's arguments and its exception, so a test can look for text anywhere a log sink could write it.
/// </summary>
public sealed class CapturedLogs : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _entries = new();

    public IReadOnlyList<string> Entries => [.. _entries];

    /// <summary>All entries as one text, one per line.</summary>
    public string Text => string.Join('\n', _entries);

    public ILogger<T> For<T>() => new Logger<T>(new LoggerFactory([this]));

    public ILogger CreateLogger(string categoryName) => new Capturing(categoryName, _entries);

    public void Dispose()
    {
    }

    private sealed class Capturing(string category, ConcurrentQueue<string> entries) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var values = state is IEnumerable<KeyValuePair<string, object?>> pairs
                ? string.Join(", ", pairs.Select(p => $"{p.Key}={p.Value}"))
                : "";
            entries.Enqueue($"{logLevel} {category}: {formatter(state, exception)} [{values}] {exception}");
        }
    }
}
