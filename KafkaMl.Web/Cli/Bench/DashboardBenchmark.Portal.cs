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

            // Unmeasured: the same load for a while first, so neither side pays for the portal's warm-up (JIT, caches, pools).
            await Progress("warm-up: the load with no dashboard open for 15 s, not measured");
            await LoadAsync(http, producer, topic, settings with { Duration = TimeSpan.FromSeconds(Math.Min(15, settings.Duration.TotalSeconds)) }, pollers: null, cancellationToken);
            // Alone, viewed, alone (half the duration each time alone): any drift over the run weighs on both sides alike.
            var half = settings with { Duration = settings.Duration / 2 };
            await Progress($"alone (1/2): {settings.Rate:N0} predictions/s, {settings.Users} users loading pages, no dashboard open, {half.Duration.TotalSeconds:0} s");
            var first = await LoadAsync(http, producer, topic, half, pollers: null, cancellationToken);
            var viewers = settings.Browsers > 0 ? $"{settings.Browsers} Chromium circuits on /dashboards/{dashboard.Id()}" : $"{settings.Viewers} summary pollers (4/s each)";
            await Progress($"viewed: the same with {viewers}, {settings.Duration.TotalSeconds:0} s");
            var messagesBefore = await MessagesAsync(http, summaryPath, cancellationToken);
            PhaseLoad viewed;
            using (var browsers = settings.Browsers > 0 ? DashboardBrowsers.Open(new Uri(portal.Url, $"/dashboards/{dashboard.Id()}").ToString(), settings.Browsers) : null)
            {
                if (browsers is not null)
                    await WaitForViewersAsync(http, viewers => viewers >= settings.Browsers, $"the {settings.Browsers} Chromium viewers to connect to the dashboard", cancellationToken);
                viewed = await LoadAsync(http, producer, topic, settings, browsers is null ? summaryPath : null, cancellationToken);
                browsers?.EnsureRunning();
                if (browsers is not null)
                {
                    await browsers.CloseAsync();
                    await WaitForViewersAsync(http, viewers => viewers == 0, "the closed browsers' circuits to leave", cancellationToken,
                        patience: TimeSpan.FromMinutes(4)); // past Blazor's 3 minutes for a circuit that left without a word
                }
            }
            var read = await MessagesAsync(http, summaryPath, cancellationToken) - messagesBefore;
            await Progress($"alone (2/2): as the first half, {half.Duration.TotalSeconds:0} s");
            var second = await LoadAsync(http, producer, topic, half, pollers: null, cancellationToken);
            var alone = first.Join(second);

            foreach (var line in BenchText.MachineLines()) await Console.Out.WriteLineAsync(line);
            await Console.Out.WriteLineAsync(Line($"portal:    child process at {portal.Url} (open access), its embedded broker (the topic made by the first message)"));
            await Console.Out.WriteLineAsync(Line($"workload:  {settings.Rate:N0} predictions/s; {settings.Users} users loading {string.Join(", ", Pages)} every 200 ms; {settings.Duration.TotalSeconds:0} s alone (two halves, before and after) and {settings.Duration.TotalSeconds:0} s viewed by {viewers}"));
            await Console.Out.WriteLineAsync();
            await Console.Out.WriteLineAsync(Line($"{"page",-14} {"p50 alone",10} {"p99 alone",10} {"p50 viewed",11} {"p99 viewed",11} {"p99 ratio",10}"));
            foreach (var page in Pages.Append("all"))
            {
                var a = alone.Latencies[page];
                var b = viewed.Latencies[page];
                await Console.Out.WriteLineAsync(Line($"{page,-14} {BenchStats.Percentile(a, 0.5),10:0.0} {BenchStats.Percentile(a, 0.99),10:0.0} {BenchStats.Percentile(b, 0.5),11:0.0} {BenchStats.Percentile(b, 0.99),11:0.0} {BenchStats.Percentile(b, 0.99) / BenchStats.Percentile(a, 0.99),10:0.00}x"));
            }
            await Console.Out.WriteLineAsync();
            await Console.Out.WriteLineAsync(Line($"produced: {alone.Phase.Produced / alone.Phase.Seconds:N0}/s alone, {viewed.Phase.Produced / viewed.Phase.Seconds:N0}/s viewed; the portal's reader read {read / viewed.Phase.Seconds:N0}/s"));
            await Console.Out.WriteLineAsync(Line($"the portal's overview at the end of each phase: {first.Readers}/{viewed.Readers}/{second.Readers} dashboard reader(s) (Kafka consumers) and {first.Viewers}/{viewed.Viewers}/{second.Viewers} viewer(s), alone/viewed/alone"));
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

    /// <summary>One phase's figures: latencies by page, and the overview's reader and viewer counts at its end.</summary>
    private sealed record PhaseLoad(Phase Phase, Dictionary<string, List<double>> Latencies, int Readers, int Viewers)
    {
        public PhaseLoad Join(PhaseLoad other) => new(
            new Phase(Phase.Produced + other.Phase.Produced, Phase.Seconds + other.Phase.Seconds, (Phase.Cores * Phase.Seconds + other.Phase.Cores * other.Phase.Seconds) / (Phase.Seconds + other.Phase.Seconds)),
            Latencies.Keys.Union(other.Latencies.Keys).ToDictionary(k => k, k => Latencies.GetValueOrDefault(k, []).Concat(other.Latencies.GetValueOrDefault(k, [])).Order().ToList()),
            Math.Max(Readers, other.Readers), Math.Max(Viewers, other.Viewers));
    }

    /// <summary>One phase: the producer, the users and (when <paramref name="pollers"/> names a summary) the summary pollers.</summary>
    private static async Task<PhaseLoad> LoadAsync(
        HttpClient http, IProducer<byte[]?, byte[]> producer, string topic, Settings settings, string? pollers, CancellationToken cancellationToken)
    {
        var latencies = new ConcurrentDictionary<string, ConcurrentBag<double>>();
        using var over = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var users = Enumerable.Range(0, settings.Users).Select(u => UserAsync(http, latencies, new Random(u), over.Token)).ToList();
        var viewing = pollers is null ? [] : Enumerable.Range(0, settings.Viewers).Select(_ => PollAsync(http, pollers, over.Token)).ToList();
        var phase = await ProduceAsync(producer, topic, settings, cancellationToken);
        var (readers, viewers) = await OverviewCountsAsync(http, cancellationToken);
        await over.CancelAsync();
        await Task.WhenAll([.. users, .. viewing]);
        var byPage = latencies.ToDictionary(l => l.Key, l => l.Value.Order().ToList());
        byPage["all"] = [.. latencies.Values.SelectMany(v => v).Order()];
        return new PhaseLoad(phase, byPage, readers, viewers);
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

    /// <summary>The portal's dashboard readers and their viewers, as its overview shows them.</summary>
    private static async Task<(int Readers, int Viewers)> OverviewCountsAsync(HttpClient http, CancellationToken cancellationToken)
    {
        var html = await http.GetStringAsync("/", cancellationToken);
        return (Count(html, "overview-dashboard-readers"), Count(html, "overview-dashboard-viewers"));
    }

    private static int Count(string html, string testId)
    {
        var match = Regex.Match(html, $"data-testid=\"{testId}\">(\\d+)<");
        return match.Success ? int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : throw new BenchFailure($"the overview shows no {testId}.");
    }

    /// <summary>Until the overview's viewer count is <paramref name="done"/> (the browsers' circuits connected or gone).</summary>
    private static async Task WaitForViewersAsync(HttpClient http, Func<int, bool> done, string what, CancellationToken cancellationToken, TimeSpan? patience = null)
    {
        var clock = Stopwatch.StartNew();
        var limit = patience ?? TimeSpan.FromMinutes(2);
        while (!done((await OverviewCountsAsync(http, cancellationToken)).Viewers))
        {
            if (clock.Elapsed > limit) throw new BenchFailure($"timed out after {limit.TotalMinutes:0} minutes waiting for {what}.");
            await Task.Delay(500, cancellationToken);
        }
    }
}
