using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace KafkaMl.Web.Cli.Bench;

/// <summary>The simulated users and what they measured, per route.</summary>
internal sealed class PortalUserLoad
{
    private readonly ConcurrentDictionary<string, ConcurrentBag<double>> _latencies = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _errors = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _firstErrors = new();
    private TimeSpan _elapsed;

    public int Errors => _errors.Values.Sum();

    public static async Task<PortalUserLoad> RunAsync(HttpClient http, PortalBenchmark.Settings settings, int[] results, int[] inferences, CancellationToken cancellationToken)
    {
        var load = new PortalUserLoad();
        // One unmeasured visit of each page first: the first render of a page compiles code that users would not wait for twice.
        foreach (var path in (string[])[$"/results/{results[0]}", .. inferences.Take(1).Select(i => $"/inferences/{i}")])
            (await http.GetAsync(path, cancellationToken)).Dispose();
        using var over = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        over.CancelAfter(settings.Duration);
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, settings.Users).Select(user => load.UserAsync(http, settings.Think, results, inferences, new Random(user), over.Token)));
        load._elapsed = clock.Elapsed;
        cancellationToken.ThrowIfCancellationRequested();
        return load;
    }

    /// <summary>One user: lists results, opens one (page and data), lists inferences, opens one; again and again.</summary>
    private async Task UserAsync(HttpClient http, TimeSpan think, int[] results, int[] inferences, Random random, CancellationToken over)
    {
        try
        {
            // Users arrive over the first think time, not all in the same millisecond.
            await Task.Delay(Pause(think, random), over);
            while (!over.IsCancellationRequested)
            {
                var result = results[random.Next(results.Length)];
                await VisitAsync(http, "GET /api/results", "/api/results", think, random, over);
                await VisitAsync(http, "GET /results/{id} (page)", $"/results/{result}", TimeSpan.Zero, random, over);
                await VisitAsync(http, "GET /api/results/{id}", $"/api/results/{result}", TimeSpan.Zero, random, over);
                await VisitAsync(http, "GET /api/results/{id}/metrics", $"/api/results/{result}/metrics", think, random, over);
                if (inferences.Length == 0) continue;
                var inference = inferences[random.Next(inferences.Length)];
                await VisitAsync(http, "GET /api/inferences", "/api/inferences", think, random, over);
                await VisitAsync(http, "GET /inferences/{id} (page)", $"/inferences/{inference}", TimeSpan.Zero, random, over);
                await VisitAsync(http, "GET /api/inferences/{id}", $"/api/inferences/{inference}", think, random, over);
            }
        }
        catch (OperationCanceledException) when (over.IsCancellationRequested)
        {
            // Time is up.
        }
    }

    private async Task VisitAsync(HttpClient http, string route, string path, TimeSpan think, Random random, CancellationToken over)
    {
        over.ThrowIfCancellationRequested();
        var clock = Stopwatch.StartNew();
        string? error = null;
        try
        {
            using var response = await http.GetAsync(path, HttpCompletionOption.ResponseContentRead, CancellationToken.None);
            if (!response.IsSuccessStatusCode) error = $"{(int)response.StatusCode} {response.ReasonPhrase}";
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            error = e.Message;
        }
        _latencies.GetOrAdd(route, _ => []).Add(clock.Elapsed.TotalMilliseconds);
        if (error is not null)
        {
            _errors.AddOrUpdate(route, 1, (_, n) => n + 1);
            if (_firstErrors.Count < 5) _firstErrors.Enqueue($"{route} {path}: {error}");
        }
        if (think > TimeSpan.Zero) await Task.Delay(Pause(think, random), over);
    }

    private static TimeSpan Pause(TimeSpan think, Random random) => think * (0.5 + random.NextDouble());

    public IEnumerable<string> Table()
    {
        const string format = "{0,-32} {1,9} {2,8} {3,9} {4,9} {5,9} {6,9} {7,7}";
        yield return string.Format(CultureInfo.InvariantCulture, format, "route", "requests", "req/s", "p50 ms", "p95 ms", "p99 ms", "max ms", "errors");
        var all = new List<double>();
        foreach (var (route, bag) in _latencies.OrderBy(r => r.Key, StringComparer.Ordinal))
        {
            var sorted = bag.Order().ToList();
            all.AddRange(sorted);
            yield return Row(route, sorted, _errors.GetValueOrDefault(route));
        }
        all.Sort();
        yield return Row("all", all, Errors);
        foreach (var error in _firstErrors) yield return $"error: {error}";

        string Row(string route, List<double> sorted, int errors) => sorted.Count == 0
            ? string.Format(CultureInfo.InvariantCulture, format, route, 0, "-", "-", "-", "-", "-", errors)
            : string.Format(CultureInfo.InvariantCulture, format, route, sorted.Count, (sorted.Count / _elapsed.TotalSeconds).ToString("0.0", CultureInfo.InvariantCulture),
                Ms(BenchStats.Percentile(sorted, 0.50)), Ms(BenchStats.Percentile(sorted, 0.95)), Ms(BenchStats.Percentile(sorted, 0.99)), Ms(sorted[^1]), errors);
    }

    private static string Ms(double value) => value.ToString(value < 10 ? "0.00" : "0.0", CultureInfo.InvariantCulture);
}
