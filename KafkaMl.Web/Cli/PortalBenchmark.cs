using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using Confluent.Kafka;
using KafkaMl.Core.Inference;
using KafkaMl.Core.Orchestration.Local;
using KafkaMl.Core.Sinks;

namespace KafkaMl.Web.Cli;

/// <summary>
/// <c>bench portal</c>: a team's load on a real portal. Starts the portal as a child process (open access on loopback,
/// its own temporary data directory and embedded broker), seeds finished results, starts long trainings and inference
/// services (with samples flowing to them), then lets simulated users browse — list results, open a result's page and
/// the API data behind it, list inferences, open one — for a set time, and reports requests per second and latency
/// percentiles per route, and every error.
/// </summary>
internal static class PortalBenchmark
{
    private const string Usage =
        """
        usage: KafkaMl.Web bench portal [--users N] [--duration S] [--think-ms MS] [--trainings N] [--inferences N] [--seed-results N]
          --users N         simulated users browsing at once (default 50)
          --duration S      seconds of load (default 60)
          --think-ms MS     mean pause between a user's requests, uniform over 0.5x-1.5x (default 1000; 0 = no pause)
          --trainings N     long trainings (HCOPD MLP, 10,000 epochs) running during the load (default 4)
          --inferences N    inference services (1 replica, 20 samples/s each) running during the load (default 2)
          --seed-results N  finished results (HCOPD MLP, 20 epochs) the users browse besides the running ones (default 8)
        The portal is the same executable, started with --KafkaMl:Auth:Mode=open on 127.0.0.1 and stopped (with its jobs) at the end.
        """;

    private const string HcopdMlp = """Sequential(("drop", Dropout(0.2)), ("fc1", Linear(3, 4)), ("sig", Sigmoid()), ("fc2", Linear(4, 2)))""";
    private const int LongEpochs = 10_000; // the most a deployment may ask for
    private const int SeedEpochs = 20;
    private const int SamplesPerStream = 240;
    private const int InferenceSamplesPerSecond = 20;
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(5);
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private sealed record Settings(int Users, TimeSpan Duration, TimeSpan Think, int Trainings, int Inferences, int SeedResults);

    /// <summary>A setup step went wrong: the message says which and why.</summary>
    private sealed class BenchFailure(string message) : Exception(message);

    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        Settings settings;
        try
        {
            var options = CliOptions.Parse(args, ["--users", "--duration", "--think-ms", "--trainings", "--inferences", "--seed-results"], []);
            if (options.HelpRequested)
            {
                await Console.Out.WriteLineAsync(Usage);
                return 0;
            }
            if (options.Positionals.Count > 0) throw new CliUsageException($"unexpected argument '{options.Positionals[0]}'.");
            settings = new Settings(
                options.Int("--users", 50, min: 1, max: 10_000),
                TimeSpan.FromSeconds(options.Int("--duration", 60, min: 1, max: 86_400)),
                TimeSpan.FromMilliseconds(options.Int("--think-ms", 1000, min: 0, max: 600_000)),
                options.Int("--trainings", 4, min: 0, max: 64),
                options.Int("--inferences", 2, min: 0, max: 16),
                options.Int("--seed-results", 8, min: 1, max: 1000));
        }
        catch (CliUsageException e)
        {
            await Console.Error.WriteLineAsync($"bench portal: {e.Message}");
            await Console.Error.WriteLineAsync(Usage);
            return 2;
        }

        var dataDir = Directory.CreateTempSubdirectory("kafkaml-bench-portal-").FullName;
        await using var portal = PortalChild.Start(dataDir);
        try
        {
            return await MeasureAsync(settings, portal, cancellationToken);
        }
        catch (Exception e) when (e is BenchFailure or HttpRequestException or KafkaException or SinkDeliveryException or TimeoutException or JsonException)
        {
            await Console.Error.WriteLineAsync($"bench portal: {e.Message}");
            await Console.Error.WriteLineAsync($"last lines of the portal's output:\n{portal.Tail()}");
            return 1;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync("bench portal: cancelled.");
            return 130;
        }
        finally
        {
            await portal.DisposeAsync();
            try { Directory.Delete(dataDir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private static async Task<int> MeasureAsync(Settings settings, PortalChild portal, CancellationToken cancellationToken)
    {
        using var http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
        {
            BaseAddress = portal.Url,
            Timeout = TimeSpan.FromSeconds(60),
        };
        await Progress($"portal starting at {portal.Url} (data in {portal.DataDir})");
        await portal.WaitUntilReadyAsync(http, cancellationToken);
        var status = await http.GetFromJsonAsync<JsonObject>("/api/status", Json, cancellationToken) ?? throw new BenchFailure("GET /api/status answered nothing.");
        var bootstrap = status["kafka"]?["bootstrapServers"]?.GetValue<string>() ?? throw new BenchFailure("GET /api/status names no broker.");
        var controlTopic = status["kafka"]?["controlTopic"]?.GetValue<string>() ?? "KAFKA_ML_CONTROL_TOPIC";
        var api = new PortalApi(http);

        var model = await api.PostAsync("/api/models", new { name = "bench-hcopd-mlp", code = HcopdMlp }, cancellationToken);
        var configuration = await api.PostAsync("/api/configurations", new { name = "bench-hcopd", modelIds = new[] { model.Id() } }, cancellationToken);

        await Progress($"seeding {settings.SeedResults} finished results ({SeedEpochs} epochs each)");
        var seeded = new List<int>();
        for (var i = 0; i < settings.SeedResults; i++)
        {
            var deployment = await api.DeployAsync(configuration.Id(), SeedEpochs, cancellationToken);
            await SendSamplesAsync(bootstrap, controlTopic, deployment.Id(), cancellationToken);
            seeded.Add(deployment.ResultIds()[0]);
        }
        foreach (var id in seeded) await api.WaitForResultAsync(id, s => s is "finished" or "failed" or "stopped", cancellationToken);
        var finished = (await api.GetArrayAsync("/api/results?status=finished", cancellationToken)).Select(r => r!["id"]!.GetValue<int>()).ToList();
        if (finished.Count == 0) throw new BenchFailure("no seeded training finished; see the portal's job logs.");

        await Progress($"starting {settings.Trainings} long trainings ({LongEpochs:N0} epochs each)");
        var running = new List<int>();
        for (var i = 0; i < settings.Trainings; i++)
        {
            var deployment = await api.DeployAsync(configuration.Id(), LongEpochs, cancellationToken);
            await SendSamplesAsync(bootstrap, controlTopic, deployment.Id(), cancellationToken);
            running.Add(deployment.ResultIds()[0]);
        }
        foreach (var id in running) await api.WaitForResultAsync(id, s => s is "training" or "finished" or "failed" or "stopped", cancellationToken);
        var epochsBefore = await api.EpochCountsAsync(running, cancellationToken);

        using var streams = new CancellationTokenSource();
        var inferences = new List<int>();
        var streaming = new List<Task>();
        string? inferenceProblem = null;
        if (settings.Inferences > 0)
        {
            await Progress($"starting {settings.Inferences} inference services with samples flowing");
            inferenceProblem = await api.InferenceApiProblemAsync(cancellationToken);
            if (inferenceProblem is null)
            {
                for (var i = 0; i < settings.Inferences; i++)
                {
                    var topics = (Input: $"bench-in-{i}-{Guid.NewGuid():N}", Output: $"bench-out-{i}-{Guid.NewGuid():N}");
                    var inference = await api.PostAsync("/api/inferences", new { resultId = finished[i % finished.Count], replicas = 1, inputTopic = topics.Input, outputTopic = topics.Output }, cancellationToken);
                    inferences.Add(inference.Id());
                    streaming.Add(StreamSamplesAsync(bootstrap, topics.Input, streams.Token));
                }
                foreach (var id in inferences) await api.WaitForInferenceAsync(id, cancellationToken);
            }
            else
            {
                await Console.Error.WriteLineAsync($"bench portal: {inferenceProblem}; the load runs without inference services.");
            }
        }

        var browsable = finished.Concat(running).ToArray();
        await Progress($"{settings.Users} users browsing for {settings.Duration.TotalSeconds:0} s");
        var load = await UserLoad.RunAsync(http, settings, browsable, [.. inferences], cancellationToken);
        await streams.CancelAsync();
        await Task.WhenAll(streaming);
        var epochsAfter = await api.EpochCountsAsync(running, cancellationToken);

        foreach (var line in BenchVerb.MachineLines()) await Console.Out.WriteLineAsync(line);
        await Console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"workload:  {settings.Users} users, {settings.Duration.TotalSeconds:0} s, think time {settings.Think.TotalMilliseconds:0} ms; {finished.Count} finished results, " +
            $"{running.Count} trainings running ({epochsAfter.Sum() - epochsBefore.Sum()} epochs recorded during the load), " +
            $"{inferences.Count} inference services ({InferenceSamplesPerSecond} samples/s each)"));
        await Console.Out.WriteLineAsync();
        foreach (var line in load.Table()) await Console.Out.WriteLineAsync(line);
        if (inferenceProblem is not null)
        {
            await Console.Out.WriteLineAsync($"incomplete: {inferenceProblem}");
            return 1;
        }
        return load.Errors == 0 ? 0 : 1;
    }

    /// <summary>HCOPD-like samples (gender, age, smoking; COPD or not) with their control message, as a user's producer would send them.</summary>
    private static async Task SendSamplesAsync(string bootstrap, string controlTopic, int deploymentId, CancellationToken cancellationToken)
    {
        using var sink = new RawSink(new KafkaSinkOptions
        {
            BootstrapServers = bootstrap, ControlTopic = controlTopic, Topic = $"bench-data-{deploymentId}",
            DeploymentId = deploymentId, ValidationRate = 0.1, TestRate = 0.1,
        });
        var random = new Random(deploymentId);
        for (var i = 0; i < SamplesPerStream; i++)
        {
            var sample = Sample(random);
            sink.Send(sample, [sample[1] > 60 && sample[2] > 1 ? 1f : 0f]);
        }
        await sink.CompleteAsync(cancellationToken);
    }

    private static float[] Sample(Random random) => [random.Next(2), 40 + random.Next(45), 1 + random.Next(3)];

    /// <summary>Samples to an inference's input topic at a steady rate until cancelled.</summary>
    private static Task StreamSamplesAsync(string bootstrap, string topic, CancellationToken cancellationToken) => Task.Run(async () =>
    {
        using var producer = new ProducerBuilder<byte[]?, byte[]>(new ProducerConfig { BootstrapServers = bootstrap, LingerMs = 1 })
            .SetLogHandler((_, _) => { }).Build();
        var random = new Random(topic.GetHashCode(StringComparison.Ordinal));
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1.0 / InferenceSamplesPerSecond));
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                var value = new byte[12];
                Buffer.BlockCopy(Sample(random), 0, value, 0, 12);
                producer.Produce(topic, new Message<byte[]?, byte[]> { Value = value });
            }
        }
        catch (OperationCanceledException)
        {
            // The load is over.
        }
        producer.Flush(TimeSpan.FromSeconds(10));
    });

    private static Task Progress(string line) => Console.Error.WriteLineAsync($"bench portal: {line}");

    /// <summary>The few API calls the setup needs; failures name the call and the portal's answer.</summary>
    private sealed class PortalApi(HttpClient http)
    {
        public async Task<JsonObject> PostAsync(string path, object body, CancellationToken cancellationToken)
        {
            using var response = await http.PostAsJsonAsync(path, body, Json, cancellationToken);
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            if (!response.IsSuccessStatusCode) throw new BenchFailure($"POST {path} answered {(int)response.StatusCode}: {text}");
            return JsonNode.Parse(text)?.AsObject() ?? throw new BenchFailure($"POST {path} answered no object.");
        }

        public async Task<JsonArray> GetArrayAsync(string path, CancellationToken cancellationToken) =>
            await http.GetFromJsonAsync<JsonArray>(path, Json, cancellationToken) ?? [];

        public Task<JsonObject> DeployAsync(int configurationId, int epochs, CancellationToken cancellationToken) =>
            PostAsync("/api/deployments", new
            {
                configurationId, batchSize = 10, epochs, learningRate = 0.01, optimizer = "adam", loss = "cross_entropy", metrics = new[] { "accuracy" },
            }, cancellationToken);

        public async Task WaitForResultAsync(int id, Func<string, bool> done, CancellationToken cancellationToken)
        {
            var clock = Stopwatch.StartNew();
            while (true)
            {
                var result = await http.GetFromJsonAsync<JsonObject>($"/api/results/{id}", Json, cancellationToken);
                var status = result?["status"]?.GetValue<string>() ?? "";
                if (done(status)) return;
                if (clock.Elapsed > Patience) throw new BenchFailure($"result {id} is still {status} after {Patience.TotalMinutes:0} minutes.");
                await Task.Delay(250, cancellationToken);
            }
        }

        public async Task<int[]> EpochCountsAsync(IEnumerable<int> results, CancellationToken cancellationToken)
        {
            var counts = new List<int>();
            foreach (var id in results)
            {
                var metrics = await http.GetFromJsonAsync<JsonObject>($"/api/results/{id}/metrics", Json, cancellationToken);
                counts.Add(metrics?["epochs"]?.AsArray().Count ?? 0);
            }
            return [.. counts];
        }

        /// <summary>Null when <c>POST /api/inferences</c> exists; else why the inference part cannot run.</summary>
        public async Task<string?> InferenceApiProblemAsync(CancellationToken cancellationToken)
        {
            using var response = await http.GetAsync("/api/inferences", cancellationToken);
            return response.StatusCode == HttpStatusCode.NotFound
                ? "this portal has no inference API (GET /api/inferences answered 404 Not Found), so no inference service can be deployed"
                : null;
        }

        public async Task WaitForInferenceAsync(int id, CancellationToken cancellationToken)
        {
            var clock = Stopwatch.StartNew();
            while (true)
            {
                var inference = await http.GetFromJsonAsync<JsonObject>($"/api/inferences/{id}", Json, cancellationToken);
                var status = inference?["status"]?.GetValue<string>() ?? "";
                if (status == "running") return;
                if (status is "failed" or "stopped") throw new BenchFailure($"inference {id} is {status}: {inference?["error"]}");
                if (clock.Elapsed > Patience) throw new BenchFailure($"inference {id} is still {status} after {Patience.TotalMinutes:0} minutes.");
                await Task.Delay(250, cancellationToken);
            }
        }
    }

    /// <summary>The simulated users and what they measured, per route.</summary>
    private sealed class UserLoad
    {
        private readonly ConcurrentDictionary<string, ConcurrentBag<double>> _latencies = new(StringComparer.Ordinal);
        private readonly ConcurrentDictionary<string, int> _errors = new(StringComparer.Ordinal);
        private readonly ConcurrentQueue<string> _firstErrors = new();
        private TimeSpan _elapsed;

        public int Errors => _errors.Values.Sum();

        public static async Task<UserLoad> RunAsync(HttpClient http, Settings settings, int[] results, int[] inferences, CancellationToken cancellationToken)
        {
            var load = new UserLoad();
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
                    Ms(InferenceStats.Percentile(sorted, 0.50)), Ms(InferenceStats.Percentile(sorted, 0.95)), Ms(InferenceStats.Percentile(sorted, 0.99)), Ms(sorted[^1]), errors);
        }

        private static string Ms(double value) => value.ToString(value < 10 ? "0.00" : "0.0", CultureInfo.InvariantCulture);
    }

    /// <summary>The portal under test: the same executable as a child process, its output kept (the last lines) for errors.</summary>
    private sealed class PortalChild : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly ConcurrentQueue<string> _tail = new();
        private int _disposed;

        private PortalChild(Process process, Uri url, string dataDir)
        {
            _process = process;
            Url = url;
            DataDir = dataDir;
        }

        public Uri Url { get; }

        public string DataDir { get; }

        public static PortalChild Start(string dataDir)
        {
            var port = FreePort();
            var (fileName, leading) = new LocalJobRunnerOptions().ResolveExecutable();
            var info = new ProcessStartInfo(fileName) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var argument in leading) info.ArgumentList.Add(argument);
            foreach (var argument in (string[])[$"--urls=http://127.0.0.1:{port}", $"--KafkaMl:DataDir={dataDir}", "--KafkaMl:Kafka:EmbeddedPort=0", "--KafkaMl:Kafka:BootstrapServers=", "--KafkaMl:Auth:Mode=open"])
                info.ArgumentList.Add(argument);
            info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
            var process = Process.Start(info) ?? throw new BenchFailure($"could not start the portal ({fileName}).");
            var child = new PortalChild(process, new Uri($"http://127.0.0.1:{port}"), dataDir);
            process.OutputDataReceived += (_, e) => child.Keep(e.Data);
            process.ErrorDataReceived += (_, e) => child.Keep(e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return child;
        }

        public async Task WaitUntilReadyAsync(HttpClient http, CancellationToken cancellationToken)
        {
            var clock = Stopwatch.StartNew();
            while (true)
            {
                if (_process.HasExited) throw new BenchFailure($"the portal exited with code {_process.ExitCode} while starting.");
                try
                {
                    using var response = await http.GetAsync("/api/status", cancellationToken);
                    if (response.IsSuccessStatusCode) return;
                }
                catch (HttpRequestException)
                {
                    // Not listening yet.
                }
                if (clock.Elapsed > TimeSpan.FromMinutes(2)) throw new BenchFailure("the portal did not answer GET /api/status within 2 minutes.");
                await Task.Delay(250, cancellationToken);
            }
        }

        public string Tail() => string.Join(Environment.NewLine, _tail);

        /// <summary>Stops the portal as <c>docker stop</c> would (its jobs stop with it); kills what is left after 30 s.</summary>
        public async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
            try
            {
                if (!_process.HasExited)
                {
                    using var stop = new Process { StartInfo = new ProcessStartInfo("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]) { UseShellExecute = false } };
                    stop.Start();
                    using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                    try
                    {
                        await _process.WaitForExitAsync(grace.Token);
                    }
                    catch (OperationCanceledException)
                    {
                        _process.Kill(entireProcessTree: true);
                    }
                }
            }
            catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                // Gone meanwhile.
            }
            _process.Dispose();
        }

        private void Keep(string? line)
        {
            if (line is null) return;
            _tail.Enqueue(line);
            while (_tail.Count > 40) _tail.TryDequeue(out _);
        }

        private static int FreePort()
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
    }
}

/// <summary>Reads the ids out of the API's JSON answers.</summary>
file static class PortalJson
{
    public static int Id(this JsonObject node) => node["id"]!.GetValue<int>();

    public static IReadOnlyList<int> ResultIds(this JsonObject deployment) =>
        deployment["results"]!.AsArray().Select(r => r!["id"]!.GetValue<int>()).ToList();
}
