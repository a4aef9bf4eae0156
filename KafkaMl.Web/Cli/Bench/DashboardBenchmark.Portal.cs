using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Confluent.Kafka;
using KafkaMl.Core.Streaming;

namespace KafkaMl.Web.Cli.Bench;

/// <summary>
/// <c>bench dashboard --portal</c>: the same producer against a real portal, its pages loaded by users with no
/// dashboard open and then with the viewers polling one dashboard's summary at the push rate, side by side in one run.
/// </summary>
internal sealed partial class DashboardBenchmark
{
    private static readonly string[] Pages = ["/", "/results", "/dashboards"];

    private static async Task<int> MeasurePortalAsync(Settings settings, CancellationToken cancellationToken)
    {
        var dataDir = Directory.CreateTempSubdirectory("kafkaml-bench-dashboard-").FullName;
        await using var portal = PortalChild.Start(dataDir);
        try
        {
            using var http = portal.CreateClient();
            await portal.WaitUntilReadyAsync(http, cancellationToken);
            var status = await http.GetFromJsonAsync<JsonObject>("/api/status", PortalApi.Json, cancellationToken) ?? throw new BenchFailure("GET /api/status answered nothing.");
            var bootstrap = status["kafka"]?["bootstrapServers"]?.GetValue<string>() ?? throw new BenchFailure("GET /api/status names no broker.");
            var topic = $"bench-predictions-{Guid.NewGuid():N}";
            var dashboard = await new PortalApi(http).PostAsync("/api/dashboards",
                new { title = "bench", topic, type = "classification", window = settings.Window, averageUpdated = true }, cancellationToken);
            var summaryPath = $"/api/dashboards/{dashboard.Id()}/summary";
            using var producer = new ProducerBuilder<byte[]?, byte[]>(KafkaClientConfig.BulkProducer(bootstrap, "bench-dashboard")).SetLogHandler((_, _) => { }).Build();
            // The portal's embedded broker makes the topic (its default partitions) with the first message, as for any producer.
            await producer.ProduceAsync(topic, new Message<byte[]?, byte[]> { Value = "{\"values\": [1, 0, 0]}"u8.ToArray() }, cancellationToken);
            foreach (var page in Pages) (await http.GetAsync(page, cancellationToken)).Dispose(); // first renders compile code

            // Unmeasured: the same load for a while first, so neither phase pays for the portal's warm-up (JIT, caches, pools).
            await Progress("warm-up: the load of phase 1 for 15 s, not measured");
            await LoadAsync(http, producer, topic, settings with { Duration = TimeSpan.FromSeconds(Math.Min(15, settings.Duration.TotalSeconds)) }, viewers: null, cancellationToken);
            await Progress($"phase 1: {settings.Rate:N0} predictions/s, {settings.Users} users loading pages, no dashboard open");
            var (alone, aloneLatencies, readersAlone) = await LoadAsync(http, producer, topic, settings, viewers: null, cancellationToken);
            await Progress($"phase 2: the same with {settings.Viewers} viewers of one dashboard (summary at 4/s each)");
            var messagesBefore = await MessagesAsync(http, summaryPath, cancellationToken);
            var (watched, watchedLatencies, readersWatched) = await LoadAsync(http, producer, topic, settings, summaryPath, cancellationToken);
            var read = await MessagesAsync(http, summaryPath, cancellationToken) - messagesBefore;

            foreach (var line in BenchText.MachineLines()) await Console.Out.WriteLineAsync(line);
            await Console.Out.WriteLineAsync(Line($"portal:    child process at {portal.Url} (open access), its embedded broker (the topic made by the first message)"));
            await Console.Out.WriteLineAsync(Line($"workload:  {settings.Rate:N0} predictions/s for {settings.Duration.TotalSeconds:0} s per phase; {settings.Users} users loading {string.Join(", ", Pages)} every 200 ms; phase 2 adds {settings.Viewers} viewers"));
            await Console.Out.WriteLineAsync();
            await Console.Out.WriteLineAsync(Line($"{"page",-14} {"p50 alone",10} {"p99 alone",10} {"p50 viewed",11} {"p99 viewed",11} {"p99 ratio",10}"));
            foreach (var page in Pages.Append("all"))
            {
                var a = aloneLatencies[page];
                var b = watchedLatencies[page];
                await Console.Out.WriteLineAsync(Line($"{page,-14} {BenchStats.Percentile(a, 0.5),10:0.0} {BenchStats.Percentile(a, 0.99),10:0.0} {BenchStats.Percentile(b, 0.5),11:0.0} {BenchStats.Percentile(b, 0.99),11:0.0} {BenchStats.Percentile(b, 0.99) / BenchStats.Percentile(a, 0.99),10:0.00}x"));
            }
            await Console.Out.WriteLineAsync();
            await Console.Out.WriteLineAsync(Line($"produced: {alone.Produced / alone.Seconds:N0}/s alone, {watched.Produced / watched.Seconds:N0}/s viewed; the portal's reader read {read / watched.Seconds:N0}/s"));
            await Console.Out.WriteLineAsync(Line($"dashboard readers in the portal (its overview): {readersAlone} with none open, {readersWatched} with {settings.Viewers} viewers"));
            return 0;
        }
        catch (Exception e) when (PortalBenchmark.IsPortalFailure(e))
        {
            throw new BenchFailure(e.Message, $"last lines of the portal's output:\n{portal.Tail()}");
        }
        finally
        {
            await portal.DisposeAsync();
            try { Directory.Delete(dataDir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>One phase: the producer, the users and (when <paramref name="viewers"/> names a summary) the viewers; latencies by page, and the reader count at its end.</summary>
    private static async Task<(Phase Phase, Dictionary<string, List<double>> Latencies, int Readers)> LoadAsync(
        HttpClient http, IProducer<byte[]?, byte[]> producer, string topic, Settings settings, string? viewers, CancellationToken cancellationToken)
    {
        var latencies = new ConcurrentDictionary<string, ConcurrentBag<double>>();
        using var over = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var users = Enumerable.Range(0, settings.Users).Select(u => UserAsync(http, latencies, new Random(u), over.Token)).ToList();
        var viewing = viewers is null ? [] : Enumerable.Range(0, settings.Viewers).Select(_ => PollAsync(http, viewers, over.Token)).ToList();
        var phase = await ProduceAsync(producer, topic, settings, cancellationToken);
        var readers = await ReadersAsync(http, cancellationToken);
        await over.CancelAsync();
        await Task.WhenAll([.. users, .. viewing]);
        var byPage = latencies.ToDictionary(l => l.Key, l => l.Value.Order().ToList());
        byPage["all"] = [.. latencies.Values.SelectMany(v => v).Order()];
        return (phase, byPage, readers);
    }

    private static async Task UserAsync(HttpClient http, ConcurrentDictionary<string, ConcurrentBag<double>> latencies, Random random, CancellationToken over)
    {
        try
        {
            await Task.Delay(random.Next(200), over);
            while (!over.IsCancellationRequested)
            {
                var page = Pages[random.Next(Pages.Length)];
                var clock = Stopwatch.StartNew();
                using (var response = await http.GetAsync(page, HttpCompletionOption.ResponseContentRead, CancellationToken.None))
                {
                    if (!response.IsSuccessStatusCode) throw new BenchFailure($"GET {page} answered {(int)response.StatusCode}.");
                }
                latencies.GetOrAdd(page, _ => []).Add(clock.Elapsed.TotalMilliseconds);
                await Task.Delay(200, over);
            }
        }
        catch (OperationCanceledException) when (over.IsCancellationRequested)
        {
            // The phase is over.
        }
    }

    /// <summary>A viewer's stand-in: the dashboard's summary at the hub's push rate (4 a second), keeping its reader busy like a circuit.</summary>
    private static async Task PollAsync(HttpClient http, string summary, CancellationToken over)
    {
        using var timer = new PeriodicTimer(new Services.Dashboards.DashboardOptions().PushInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(over)) (await http.GetAsync(summary, CancellationToken.None)).Dispose();
        }
        catch (OperationCanceledException) when (over.IsCancellationRequested)
        {
            // The phase is over.
        }
    }

    private static async Task<long> MessagesAsync(HttpClient http, string summary, CancellationToken cancellationToken) =>
        (await http.GetFromJsonAsync<JsonObject>(summary, PortalApi.Json, cancellationToken))?["messages"]?.GetValue<long>() ?? 0;

    /// <summary>The portal's dashboard readers, as its overview shows them.</summary>
    private static async Task<int> ReadersAsync(HttpClient http, CancellationToken cancellationToken)
    {
        var html = await http.GetStringAsync("/", cancellationToken);
        var match = Regex.Match(html, "data-testid=\"overview-dashboard-readers\">(\\d+)<");
        return match.Success ? int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : throw new BenchFailure("the overview shows no reader count.");
    }
}
