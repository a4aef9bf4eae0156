using System.Text.RegularExpressions;
using KafkaMl.Tests.Inference;

namespace KafkaMl.Tests.Jobs.Inference;

/// <summary>The <c>infer</c> verb and <c>bench inference</c> as real child processes.</summary>
[Collection(InferenceBrokerCollection.Name)]
public sealed partial class InferProcessSpecs(BrokerFixture broker, ITestOutputHelper output)
{
    [Fact]
    public async Task Two_replica_processes_share_the_partitions_and_killing_one_mid_stream_loses_no_input()
    {
        var topics = broker.NewInferenceTopics(partitions: 4);
        using var module = InferenceModels.Hcopd();
        using var files = InferenceModels.Save(module);
        using var first = StartReplica(files, topics, 0);
        using var second = StartReplica(files, topics, 1);
        await WaitUntilBothHoldPartitionsAsync(first, second);

        const int count = 2000;
        var keys = Enumerable.Range(0, count).Select(i => $"k{i}").ToList();
        var sending = Task.Run(async () =>
        {
            for (var start = 0; start < count; start += 40)
            {
                await broker.ProduceAsync(topics.Input, Enumerable.Range(start, 40).Select(i => InferenceInputs.Message(i)));
                await Task.Delay(25);
            }
        });
        broker.ReadUntil(topics.Output, all => all.Count >= count / 4);
        second.Dispose(); // killed: no revocation, no commit
        Assert.False(sending.IsCompleted, "the replica was killed mid-stream");
        await sending;

        var answers = broker.ReadAnswers(topics.Output, keys);
        var perKey = answers.GroupBy(BrokerFixture.KeyOf).ToDictionary(g => g.Key, g => g.ToList());
        var duplicates = perKey.Values.Sum(list => list.Count - 1);
        output.WriteLine($"{answers.Count} predictions for {count} inputs: {duplicates} duplicates after the kill");
        Assert.Equal(count, keys.Count(perKey.ContainsKey));

        // Every prediction is the one the model makes in-process.
        var predictor = new InferenceModel(module, InferenceModels.Scaler, Loss.CrossEntropy);
        var expected = predictor.Predict(Enumerable.Range(0, count).Select(i => InferenceInputs.Decoder.Decode(default, InferenceInputs.Message(i).Value)).ToList());
        foreach (var (key, list) in perKey)
        {
            var want = expected[int.Parse(key[1..])];
            foreach (var prediction in list.Select(InferenceInputs.Parse))
            {
                Assert.Equal(want.Class, prediction.Prediction);
                for (var v = 0; v < want.Values.Length; v++) Assert.Equal(want.Values[v], prediction.Values[v]!.Value, 1e-5);
            }
        }

        Assert.Equal(0, await first.StopAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains(first.StdoutLines, l => l.StartsWith("replica 0 stopped:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_infer_verb_serves_an_inference_from_the_portal_and_posts_stats_with_its_token_until_the_portal_says_it_is_gone()
    {
        var topics = broker.NewInferenceTopics();
        using var module = InferenceModels.Hcopd();
        using var files = InferenceModels.Save(module);
        await using var portal = await ReplicaPortalStandIn.StartAsync(new InferenceJobSpec(
            InferenceId: 7, ResultId: 3, ModelName: "hcopd-result-3", ModelCode: InferenceModels.HcopdScript, Loss: "cross_entropy",
            InputFormat: "raw", InputConfig: new JsonObject { ["data_type"] = "float32", ["data_reshape"] = "3" },
            InputTopic: topics.Input, OutputTopic: topics.Output, ConsumerGroup: topics.Group,
            Scaler: JsonNode.Parse(InferenceModels.Scaler.ToJson())!.AsObject()), File.ReadAllBytes(files.Weights), token: "s3cret");

        using var replica = KafkaMlProcess.Start(["infer", "--inference", "7", "--stats-interval", "0.5"], new Dictionary<string, string?>
        {
            [JobEnvironment.PortalUrlVariable] = portal.Url,
            [JobEnvironment.TokenVariable] = "s3cret",
            [JobEnvironment.BootstrapServersVariable] = broker.BootstrapServers,
            [InferVerbReplica] = "2",
        });
        await replica.WaitForLineAsync(l => l.StartsWith($"replica 2 of inference 7 consuming {topics.Input} -> {topics.Output}, group {topics.Group}", StringComparison.Ordinal), Eventually.Patience);
        await broker.ProduceAsync(topics.Input, InferenceInputs.Messages(10));

        var answers = broker.ReadAnswers(topics.Output, Enumerable.Range(0, 10).Select(i => $"k{i}").ToList());
        Assert.All(answers, a => Assert.Equal("hcopd-result-3", InferenceInputs.Parse(a).Model));
        var report = await portal.WaitForStatsAsync(r => r.MessagesOut == 10);
        Assert.Equal(("2", 10L, 0L), (report.Replica, report.MessagesIn, report.Errors));
        Assert.NotNull(report.LatencyP50Ms);
        Assert.NotEmpty(report.Recent!);
        Assert.All(portal.Requests, r => Assert.Equal("s3cret", r.Token));
        Assert.Contains(portal.Requests, r => r.Path.EndsWith("/weights", StringComparison.Ordinal));

        portal.Gone = true;
        Assert.Equal(0, await replica.WaitForExitAsync(Eventually.Patience));
        Assert.Contains(replica.StdoutLines, l => l.Contains("deleted or stopped", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Bench_inference_with_tiny_counts_prints_the_paper_table_beside_ours()
    {
        using var bench = KafkaMlProcess.Start([
            "bench", "inference", "--normal-count", "50", "--latency-count", "20", "--interval-ms", "2", "--throughput-count", "2000",
            "--isolation-replicas", "1", "--throughput-replicas", "1", "--random-weights",
        ]);

        var exitCode = await bench.WaitForExitAsync(TimeSpan.FromMinutes(5));

        output.WriteLine(string.Join(Environment.NewLine, bench.StdoutLines));
        Assert.True(exitCode == 0, bench.Transcript);
        var lines = bench.StdoutLines;
        Assert.Contains(lines, l => Regex.IsMatch(l, @"^normal\s+in-process, one sample\s+0\.079 s"));
        Assert.Contains(lines, l => Regex.IsMatch(l, @"^data streams\s+1 replica, engine in this process\s+0\.374 s"));
        Assert.Contains(lines, l => Regex.IsMatch(l, @"^streams and process isolation\s+1 replica process\s+0\.335 s"));
        Assert.Contains(lines, l => Regex.IsMatch(l, @"^throughput\s+in-process engine, 1 replica"));
        Assert.Contains(lines, l => Regex.IsMatch(l, @"^throughput\s+1 replica process\s"));
        Assert.Contains(lines, l => l.StartsWith("target     end-to-end p50 < 5 ms", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("target     >= 20,000 predictions/s", StringComparison.Ordinal));
    }

    // ---- helpers ----

    private const string InferVerbReplica = KafkaMl.Web.Cli.InferVerb.ReplicaVariable;

    private KafkaMlProcess StartReplica(ModelFiles files, InferenceTopics topics, int replica) => KafkaMlProcess.Start([
        "infer", "--model-script", files.Script, "--weights", files.Weights, "--scaler", files.Scaler, "--loss", "cross_entropy",
        "--model-name", "hcopd", "--input-format", "RAW", "--input-config", "{\"data_type\": \"float32\"}",
        "--input-topic", topics.Input, "--output-topic", topics.Output, "--group", topics.Group,
        "--bootstrap-servers", broker.BootstrapServers, "--replica", replica.ToString(System.Globalization.CultureInfo.InvariantCulture),
    ]);

    /// <summary>Waits until each replica's last assignment line says it holds partitions and together they hold all four.</summary>
    private static Task WaitUntilBothHoldPartitionsAsync(KafkaMlProcess first, KafkaMlProcess second) =>
        Eventually.Until(
            () => (A: Holds(first), B: Holds(second)),
            holds => holds.A.Count > 0 && holds.B.Count > 0 && holds.A.Union(holds.B).Count() == 4,
            _ => $"the replicas to share the partitions:\n{first.Transcript}\n{second.Transcript}",
            TimeSpan.FromMilliseconds(100));

    private static IReadOnlyList<int> Holds(KafkaMlProcess replica)
    {
        var last = replica.StdoutLines.LastOrDefault(l => HoldsPattern().IsMatch(l));
        return last is null
            ? []
            : HoldsPattern().Match(last).Groups[1].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(int.Parse).ToList();
    }

    [GeneratedRegex(@"^replica \d+ (?:assigned|revoked|lost) .*holds \[([0-9, ]*)\]")]
    private static partial Regex HoldsPattern();
}
