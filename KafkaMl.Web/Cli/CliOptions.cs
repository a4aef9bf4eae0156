using System.Globalization;

namespace KafkaMl.Web.Cli;

/// <summary>A command line the user got wrong: the verb prints the message and its usage, and exits 2.</summary>
public sealed class CliUsageException(string message) : Exception(message);

/// <summary>A verb's command line, read: the request it asks for, or the exit code when the verb stops at once.</summary>
public readonly record struct VerbCommandLine<T>(T? Request, int? ExitCode)
    where T : class;

/// <summary>
/// A verb's parsed command line: positional arguments, <c>--name value</c> (or <c>--name=value</c>)
/// options, and <c>--flag</c> switches; <c>--</c> ends the options. Unknown options and missing
/// values throw <see cref="CliUsageException"/>; typed getters say which option has a bad value.
/// </summary>
public sealed class CliOptions
{
    /// <summary>The exit code of a command line the user got wrong.</summary>
    public const int UsageExitCode = 2;

    private readonly Dictionary<string, List<string>> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _flags = new(StringComparer.Ordinal);
    private readonly List<string> _positionals = [];

    private CliOptions()
    {
    }

    /// <summary>Arguments that are not options, in order.</summary>
    public IReadOnlyList<string> Positionals => _positionals;

    /// <summary>True when <c>-h</c> or <c>--help</c> was given.</summary>
    public bool HelpRequested { get; private set; }

    /// <summary>
    /// Parses <paramref name="args"/>. <paramref name="valued"/> are the options that take a value,
    /// <paramref name="flags"/> those that do not (names with their leading <c>--</c>).
    /// </summary>
    public static CliOptions Parse(IReadOnlyList<string> args, IReadOnlyCollection<string> valued, IReadOnlyCollection<string> flags)
    {
        var options = new CliOptions();
        var optionsEnded = false;
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (optionsEnded || arg.Length < 2 || arg[0] != '-')
            {
                options._positionals.Add(arg);
                continue;
            }
            if (arg == "--")
            {
                optionsEnded = true;
                continue;
            }
            if (arg is "-h" or "--help")
            {
                options.HelpRequested = true;
                continue;
            }
            var name = arg;
            string? inline = null;
            var equals = arg.IndexOf('=');
            if (arg.StartsWith("--", StringComparison.Ordinal) && equals > 2)
            {
                name = arg[..equals];
                inline = arg[(equals + 1)..];
            }
            if (flags.Contains(name))
            {
                if (inline is not null) throw new CliUsageException($"{name} takes no value.");
                options._flags.Add(name);
                continue;
            }
            if (!valued.Contains(name)) throw new CliUsageException($"unknown option '{name}'.");
            string value;
            if (inline is not null) value = inline;
            else if (i + 1 < args.Count) value = args[++i];
            else throw new CliUsageException($"{name} needs a value.");
            if (!options._values.TryGetValue(name, out var list)) options._values[name] = list = [];
            list.Add(value);
        }
        return options;
    }

    /// <summary>
    /// Reads a verb's command line as every verb does: <c>-h</c>/<c>--help</c> prints <paramref name="usage"/> to stdout
    /// (exit 0); a bad command line prints <c>&lt;verb&gt;: why</c> and <paramref name="hint"/> to stderr (exit
    /// <see cref="UsageExitCode"/>); otherwise <paramref name="request"/> turns the options into the verb's request.
    /// </summary>
    public static async Task<VerbCommandLine<T>> ReadVerbAsync<T>(
        IReadOnlyList<string> args, IReadOnlyCollection<string> valued, IReadOnlyCollection<string> flags, Func<CliOptions, T> request,
        string verb, string usage, string hint)
        where T : class
    {
        try
        {
            var options = Parse(args, valued, flags);
            if (options.HelpRequested)
            {
                await Console.Out.WriteLineAsync(usage);
                return new VerbCommandLine<T>(null, 0);
            }
            return new VerbCommandLine<T>(request(options), null);
        }
        catch (CliUsageException e)
        {
            await Console.Error.WriteLineAsync($"{verb}: {e.Message}");
            await Console.Error.WriteLineAsync(hint);
            return new VerbCommandLine<T>(null, UsageExitCode);
        }
    }

    public bool Flag(string name) => _flags.Contains(name);

    public bool Has(string name) => _values.ContainsKey(name);

    /// <summary>The option's value (the last one when repeated); null when absent.</summary>
    public string? Get(string name) => _values.TryGetValue(name, out var list) ? list[^1] : null;

    /// <summary>Every value of a repeatable option, in order.</summary>
    public IReadOnlyList<string> All(string name) => _values.TryGetValue(name, out var list) ? list : [];

    public string Required(string name) =>
        Get(name) is { } value && !string.IsNullOrWhiteSpace(value) ? value : throw new CliUsageException($"{name} is required.");

    public int Int(string name, int fallback, int min = int.MinValue, int max = int.MaxValue) =>
        (int)Long(name, fallback, min, max);

    public long Long(string name, long fallback, long min = long.MinValue, long max = long.MaxValue)
    {
        if (Get(name) is not { } text) return fallback;
        if (!long.TryParse(text.Replace("_", "", StringComparison.Ordinal), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
            throw new CliUsageException($"{name} must be a whole number, not '{text}'.");
        if (value < min || value > max)
            throw new CliUsageException($"{name} must be {Range(min, max)}; got {value}.");
        return value;
    }

    public double Double(string name, double fallback)
    {
        if (Get(name) is not { } text) return fallback;
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value)
            ? value
            : throw new CliUsageException($"{name} must be a number, not '{text}'.");
    }

    private static string Range(long min, long max) =>
        (min, max) switch
        {
            (long.MinValue, long.MaxValue) => "a whole number",
            (_, long.MaxValue) or (_, int.MaxValue) => $"at least {min}",
            (long.MinValue, _) or (int.MinValue, _) => $"at most {max}",
            _ => $"between {min} and {max}",
        };
}
