using System.Globalization;

namespace KafkaMl.Web.Cli.Bench;

/// <summary><c>bench inference</c>'s report: the paper's table beside ours, the details of each run, throughput, the targets.</summary>
internal sealed partial class InferenceBenchmark
{
    private static async Task ReportAsync(
        Settings settings, Latency normal, double batchMicros, IReadOnlyList<Row> rows, IReadOnlyList<string> notes,
        IReadOnlyList<(string Name, Throughput Result)> throughputs, CancellationToken cancellationToken)
    {
        var output = Console.Out;
        await output.WriteLineAsync();
        await output.WriteLineAsync($"{"scenario",-32} {"setup",-34} {"Kafka-ML (paper)",16} {"KafkaMl p50",12} {"p99",10} {"paper / ours",13}");
        await output.WriteLineAsync(
            $"{"normal",-32} {"in-process, one sample",-34} {BenchText.Seconds(PaperNormal),16} {Ms(normal.P50),12} {Ms(normal.P99),10} {Ratio(PaperNormal, normal.P50),13}");
        foreach (var row in rows)
            await output.WriteLineAsync(
                $"{row.Scenario,-32} {row.Setup,-34} {(row.Paper is { } paper ? BenchText.Seconds(paper) : "-"),16} {Ms(row.Latency.P50),12} {Ms(row.Latency.P99),10} {(row.Paper is { } p ? Ratio(p, row.Latency.P50) : "-"),13}");
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"model alone, batches of {settings.MaxBatch}: {batchMicros:0.00} us per prediction (a ceiling of {1e6 / batchMicros:N0} predictions/s on one core)"));
        foreach (var row in rows)
        {
            var noise = row.Latency.Noise is { } n ? $"; meanwhile a 1 ms sleep in this process woke up late by up to {Ms(n.Max)} (p99 {Ms(n.P99)})" : "";
            await output.WriteLineAsync(
                $"  {row.Scenario} / {row.Setup}: {row.Latency.Count} messages, min {Ms(row.Latency.Min)}, p90 {Ms(row.Latency.P90)}, max {Ms(row.Latency.Max)}, duplicates {row.Latency.Duplicates}{noise}");
        }
        await output.WriteLineAsync("the replicas' own view after the low-rate run (latency: the input's CreateTime, whole ms, until the prediction is delivered):");
        foreach (var note in notes) await output.WriteLineAsync(note);

        if (throughputs.Count > 0)
        {
            await output.WriteLineAsync();
            await output.WriteLineAsync($"{"throughput",-32} {"setup",-34} {"predictions/s",16} {"messages",12} {"wall",10} {"duplicates",13}");
            foreach (var (name, t) in throughputs)
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"{"throughput",-32} {name,-34} {t.PerSecond,16:N0} {t.Count,12:N0} {t.Elapsed.TotalSeconds,9:0.00}s {t.Duplicates,13:N0}"));
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"  blast: {settings.ThroughputCount:N0} pre-encoded messages produced as fast as the producer takes them (linger.ms 5), timed from the first produce until the last prediction is read"));
        }

        await output.WriteLineAsync();
        var streamed = rows.Where(r => r.Paper is not null).Select(r => r.Latency).ToList();
        if (streamed.Count > 0)
        {
            var worstP50 = streamed.Max(l => l.P50);
            var worstP99 = streamed.Max(l => l.P99);
            await output.WriteLineAsync($"target     end-to-end p50 < 5 ms at low rate (worst scenario {Ms(worstP50)}): {(worstP50 < 5 ? "met" : "NOT met")}");
            await output.WriteLineAsync($"target     end-to-end p99 < 20 ms at low rate (worst scenario {Ms(worstP99)}): {(worstP99 < 20 ? "met" : "NOT met")}");
        }
        if (throughputs.Count > 0)
        {
            var best = throughputs.MaxBy(t => t.Result.PerSecond);
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"target     >= 20,000 predictions/s (best {best.Result.PerSecond:N0}/s with {best.Name}): {(best.Result.PerSecond >= 20_000 ? "met" : "NOT met")}"));
        }
        await output.FlushAsync(cancellationToken);
    }

    private static string Ms(double ms) => ms < 0.1
        ? ms.ToString("0.000", CultureInfo.InvariantCulture) + " ms"
        : ms.ToString("0.00", CultureInfo.InvariantCulture) + " ms";

    private static string Ratio(double paperSeconds, double oursMs) =>
        (paperSeconds * 1000 / oursMs).ToString("N0", CultureInfo.InvariantCulture) + "x";
}
