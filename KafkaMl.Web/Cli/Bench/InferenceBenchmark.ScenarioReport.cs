using System.Globalization;

namespace KafkaMl.Web.Cli.Bench;

/// <summary><c>bench inference --scenarios</c>'s report: per scenario a table of its windows beside the steady state, its notes, then the targets.</summary>
internal sealed partial class InferenceBenchmark
{
    private static async Task ReportScenariosAsync(
        Settings settings, IReadOnlyList<ScenarioResult> results, (string? Before, string? After) load, CancellationToken cancellationToken)
    {
        var output = Console.Out;
        await output.WriteLineAsync();
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"readiness: a paced stream of {settings.PacedRate} msg/s (RAW float32 HCOPD samples, keyed), {settings.Partitions} input partitions; each sample timed from handing it to the producer until its prediction is read from the output topic; a window holds the samples sent in it"));
        await output.WriteLineAsync("           lost = sent - answered (distinct keys, after a drain of up to 30 s); dup = answers beyond the first (at-least-once)");
        if (load.Before is not null)
            await output.WriteLineAsync($"           1-minute load average {load.Before} before the scenarios, {load.After ?? "?"} after ({Environment.ProcessorCount} cores; anything above what the scenarios run themselves competes with them)");
        foreach (var result in results)
        {
            await output.WriteLineAsync();
            await output.WriteLineAsync(result.Title);
            await output.WriteLineAsync($"  {"window",-52} {"sent",6} {"answered",9} {"lost",5} {"dup",5} {"p50",10} {"p99",10} {"max",11}");
            foreach (var w in result.Windows)
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"  {w.Name,-52} {w.Sent,6} {w.Answered,9} {w.Lost,5} {w.Duplicates,5} {Figure(w.Latency?.P50),10} {Figure(w.Latency?.P99),10} {Figure(w.Latency?.Max),11}"));
            foreach (var note in result.Notes) await output.WriteLineAsync($"  {note}");
        }
        await output.WriteLineAsync();
        foreach (var target in results.SelectMany(r => r.Targets)) await output.WriteLineAsync(target);
        await output.FlushAsync(cancellationToken);
    }

    private static string Figure(double? ms) => ms is { } m ? Ms(m) : "-";
}
