using System.Globalization;
using System.Text;
using KafkaMl.Core.Sinks;

namespace KafkaMl.Web.Cli;

/// <summary>
/// Renders a sink's progress for a person: on a terminal a bar redrawn in place ten times a second,
/// otherwise (a pipe, a log file, a CI job) one plain line every few seconds. It polls
/// <see cref="KafkaSink.Progress"/>-style snapshots, so it keeps moving while the sink waits for
/// acknowledgements, and never slows the sending thread down.
/// </summary>
public sealed class ConsoleProgress
{
    private const int BarWidth = 24;

    private readonly TextWriter _writer;
    private readonly long? _total;
    private readonly string _label;
    private int _lastWidth;

    public ConsoleProgress(TextWriter writer, bool interactive, long? total, string label)
    {
        _writer = writer;
        Interactive = interactive;
        _total = total is > 0 ? total : null;
        _label = label;
        Interval = interactive ? TimeSpan.FromMilliseconds(100) : TimeSpan.FromSeconds(2);
    }

    /// <summary>Progress on stderr: a live bar when stderr is a terminal, plain lines otherwise.</summary>
    public static ConsoleProgress ForStandardError(long? total, string label) =>
        new(Console.Error, interactive: !Console.IsErrorRedirected && Environment.GetEnvironmentVariable("TERM") is not "dumb", total, label);

    /// <summary>True when redrawing one line in place (a terminal).</summary>
    public bool Interactive { get; }

    /// <summary>Time between two renderings.</summary>
    public TimeSpan Interval { get; }

    /// <summary>Renders <paramref name="poll"/>'s snapshot every <see cref="Interval"/> until cancelled, then once more, finished.</summary>
    public async Task RunAsync(Func<SinkProgress> poll, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken)) Render(poll());
        }
        catch (OperationCanceledException)
        {
            // Done: the caller renders the final state.
        }
    }

    /// <summary>Draws one snapshot (the bar in place, or one plain line).</summary>
    public void Render(SinkProgress progress)
    {
        if (Interactive)
        {
            var line = FormatBar(progress, _total, _label);
            var pad = Math.Max(0, _lastWidth - line.Length);
            _lastWidth = line.Length;
            _writer.Write("\r" + line + new string(' ', pad));
        }
        else
        {
            _writer.WriteLine(FormatLine(progress, _total, _label));
        }
        _writer.Flush();
    }

    /// <summary>Draws the final state and ends the bar's line.</summary>
    public void Finish(SinkProgress progress)
    {
        Render(progress);
        if (Interactive) _writer.WriteLine();
        _writer.Flush();
    }

    /// <summary>Ends the bar's line without a final state (e.g. after an error), so the next message starts on a fresh line.</summary>
    public void Abandon()
    {
        if (Interactive && _lastWidth > 0) _writer.WriteLine();
        _writer.Flush();
    }

    /// <summary><c>label [=========&gt;          ]  45%  1,234/2,740 msgs  acked 1,200  19.3 KiB  52,100 msg/s  0:02</c></summary>
    public static string FormatBar(SinkProgress progress, long? total, string label)
    {
        var text = new StringBuilder(120);
        text.Append(label).Append(' ');
        if (total is { } all)
        {
            var fraction = Math.Clamp((double)progress.Sent / all, 0, 1);
            var filled = (int)Math.Round(fraction * BarWidth);
            text.Append('[')
                .Append('=', Math.Max(0, filled - 1))
                .Append(filled == 0 ? "" : filled == BarWidth ? "=" : ">")
                .Append(' ', BarWidth - filled)
                .Append("] ")
                .Append(Percent(fraction).PadLeft(4))
                .Append("  ")
                .Append(Count(progress.Sent)).Append('/').Append(Count(all)).Append(" msgs");
        }
        else
        {
            text.Append(Count(progress.Sent)).Append(" msgs");
        }
        text.Append("  acked ").Append(Count(progress.Delivered))
            .Append("  ").Append(Bytes(progress.Bytes))
            .Append("  ").Append(Count((long)progress.MessagesPerSecond)).Append(" msg/s")
            .Append("  ").Append(Clock(progress.Elapsed));
        return text.ToString();
    }

    /// <summary><c>label: 1,234/2,740 messages (45%), 1,200 acknowledged, 19.3 KiB, 52,100 msg/s, 2.0 s</c></summary>
    public static string FormatLine(SinkProgress progress, long? total, string label)
    {
        var text = new StringBuilder(120);
        text.Append(label).Append(": ").Append(Count(progress.Sent));
        if (total is { } all)
            text.Append('/').Append(Count(all)).Append(" messages (").Append(Percent(Math.Clamp((double)progress.Sent / all, 0, 1))).Append(')');
        else
            text.Append(" messages");
        text.Append(", ").Append(Count(progress.Delivered)).Append(" acknowledged, ")
            .Append(Bytes(progress.Bytes)).Append(", ")
            .Append(Count((long)progress.MessagesPerSecond)).Append(" msg/s, ")
            .Append(Seconds(progress.Elapsed));
        return text.ToString();
    }

    public static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    public static string Bytes(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} B",
        < 1024 * 1024 => (bytes / 1024.0).ToString("0.0", CultureInfo.InvariantCulture) + " KiB",
        < 1024L * 1024 * 1024 => (bytes / (1024.0 * 1024)).ToString("0.0", CultureInfo.InvariantCulture) + " MiB",
        _ => (bytes / (1024.0 * 1024 * 1024)).ToString("0.00", CultureInfo.InvariantCulture) + " GiB",
    };

    public static string Seconds(TimeSpan elapsed) =>
        elapsed.TotalSeconds.ToString(elapsed.TotalSeconds < 10 ? "0.000" : "0.0", CultureInfo.InvariantCulture) + " s";

    private static string Percent(double fraction) => ((int)Math.Floor(fraction * 100)).ToString(CultureInfo.InvariantCulture) + "%";

    private static string Clock(TimeSpan elapsed) =>
        elapsed.TotalHours >= 1
            ? elapsed.ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture)
            : elapsed.ToString(@"m\:ss", CultureInfo.InvariantCulture);
}
