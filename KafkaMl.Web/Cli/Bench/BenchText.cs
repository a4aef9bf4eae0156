using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using Confluent.Kafka;

namespace KafkaMl.Web.Cli.Bench;

/// <summary>What every report shares: the lines saying what ran where, and the spelling of its figures.</summary>
internal static class BenchText
{
    /// <summary>The lines every benchmark report starts with: what ran where.</summary>
    public static IEnumerable<string> MachineLines()
    {
        var configuration = typeof(BenchText).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "?";
        yield return $"machine:   {Environment.ProcessorCount} cores{CpuModel()}, {RuntimeInformation.OSDescription} {RuntimeInformation.OSArchitecture}";
        yield return $"runtime:   {RuntimeInformation.FrameworkDescription}, {configuration} build" +
            (configuration == "Release" ? "" : " (measure a Release build for figures worth quoting: dotnet run -c Release)");
        yield return $"kafka:     Confluent.Kafka {typeof(Library).Assembly.GetName().Version?.ToString(3)}, librdkafka {Library.VersionString}";
    }

    /// <summary>The machine's 1-minute load average (Linux), or null: how much else competed for the cores.</summary>
    public static string? LoadAverage()
    {
        try
        {
            return File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>A count or a rate, whole, with thousands separators (1,234,567); "-" when there is none.</summary>
    public static string Count(double? value) => value is { } v ? v.ToString("N0", CultureInfo.InvariantCulture) : "-";

    /// <summary>Seconds to the millisecond: "1.234 s"; "-" when there are none.</summary>
    public static string Seconds(double? seconds) =>
        seconds is { } s ? s.ToString("0.000", CultureInfo.InvariantCulture) + " s" : "-";

    public static string Seconds(TimeSpan? elapsed) => Seconds(elapsed?.TotalSeconds);

    /// <summary>A share: "12.3%"; "-" when there is none.</summary>
    public static string Percent(double? share) => share is { } s ? s.ToString("0.0%", CultureInfo.InvariantCulture) : "-";

    /// <summary>A ratio minus one as a signed percentage: "+7.6%", "-2.0%".</summary>
    public static string Signed(double ratio) => ratio.ToString("+0.0%;-0.0%;+0.0%", CultureInfo.InvariantCulture);

    private static string CpuModel()
    {
        try
        {
            var line = File.Exists("/proc/cpuinfo")
                ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))
                : null;
            return line is null ? "" : $" ({line[(line.IndexOf(':') + 1)..].Trim()})";
        }
        catch (IOException)
        {
            return "";
        }
    }
}
