using KafkaMl.Core.Broker;
using KafkaMl.Tests.Inference;

namespace KafkaMl.Tests.Resilience;

/// <summary>
/// Streaming inference through a broker outage: two portal-free <c>infer</c> replica processes in one consumer group
/// consume a steady stream while the broker cuts and refuses every connection for a while; afterwards every input has
/// its prediction (at-least-once: duplicates are counted, none is missing).
/// </summary>
[Collection(ResilienceCollection.Name)]
public sealed class InferenceOutageSpecs(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(8);

    private readonly EmbeddedBroker _broker = EmbeddedBroker.Start(new EmbeddedBrokerSettings(Port: 0));

    [Fact]
    public async Task Replicas_consuming_a_stream_through_a_broker_outage_answer_every_input()
    {
        var id = Guid.NewGuid().ToString("N")[..12];
        var (input, output_, group) = ($"in-{id}", $"out-{id}", $"group-{id}");
        _broker.CreateTopic(input, 4);
        _broker.CreateTopic(output_, 4);
        using var module = InferenceModels.Hcopd();
        using var files = InferenceModels.Save(module);
        using var first = StartReplica(files, input, output_, group, 0);
        using var second = StartReplica(files, input, output_, group, 1);
        await first.WaitForLineAsync(l => l.Contains("holds [") && !l.Contains("holds []"), Eventually.Patience, OutputStream.Stdout);

        const int count = 3000, batch = 20;
        var quarterSent = new TaskCompletionSource();
        var sending = Task.Run(async () =>
        {
            // One producer for the whole stream: what it cannot deliver during the outage waits in its queue.
            using var producer = new ProducerBuilder<byte[]?, byte[]?>(new ProducerConfig
            {
                BootstrapServers = _broker.BootstrapServers, LingerMs = 1, MessageTimeoutMs = 120_000, EnableIdempotence = true,
            }).SetLogHandler((_, _) => { }).Build();
            var deliveries = new List<Task>();
            for (var start = 0; start < count; start += batch)
            {
                deliveries.AddRange(Enumerable.Range(start, batch).Select(i => producer.ProduceAsync(input, InferenceInputs.Message(i))));
                if (start >= count / 4) quarterSent.TrySetResult();
                await Task.Delay(40);
            }
            await Task.WhenAll(deliveries);
        });

        await quarterSent.Task.WaitAsync(Eventually.Patience);
        var cut = await _broker.InterruptAsync(Outage);
        Assert.False(sending.IsCompleted, "the stream ended before the outage was over");
        await sending.WaitAsync(Eventually.Patience);

        var keys = Enumerable.Range(0, count).Select(i => $"k{i}").ToHashSet();
        var answers = ReadAnswers(output_, keys);
        var perKey = answers.GroupBy(a => Encoding.UTF8.GetString(a.Message.Key!)).ToDictionary(g => g.Key, g => g.Count());
        output.WriteLine($"{cut} connections cut; {answers.Count} predictions for {count} inputs, {perKey.Values.Sum(n => n - 1)} duplicates");
        var noticed = first.StderrLines.Concat(second.StderrLines).Where(l => l.Contains("Disconnected", StringComparison.OrdinalIgnoreCase) || l.Contains("refused", StringComparison.OrdinalIgnoreCase) || l.Contains("reset", StringComparison.OrdinalIgnoreCase)).ToList();
        output.WriteLine($"the replicas logged {noticed.Count} connection problems, e.g. {noticed.FirstOrDefault()}");
        Assert.True(cut >= 3, $"only {cut} connections were cut: the replicas and the producer were not all connected through the broker's port");
        var missing = keys.Where(k => !perKey.ContainsKey(k)).ToList();
        Assert.True(missing.Count == 0, $"{missing.Count} inputs have no prediction, e.g. {string.Join(", ", missing.Take(10))}");
        Assert.Null(first.ExitCode);
        Assert.Null(second.ExitCode);
    }

    public void Dispose() => _broker.Dispose();

    private KafkaMlProcess StartReplica(ModelFiles files, string input, string outputTopic, string group, int replica) => KafkaMlProcess.Start([
        "infer", "--model-script", files.Script, "--weights", files.Weights, "--scaler", files.Scaler, "--loss", "cross_entropy",
        "--model-name", "hcopd", "--input-format", "RAW", "--input-config", "{\"data_type\": \"float32\"}",
        "--input-topic", input, "--output-topic", outputTopic, "--group", group,
        "--bootstrap-servers", _broker.BootstrapServers, "--replica", replica.ToString(System.Globalization.CultureInfo.InvariantCulture),
    ]);

    /// <summary>Reads the output topic from the start until every key has an answer.</summary>
    private List<ConsumeResult<byte[]?, byte[]?>> ReadAnswers(string topic, IReadOnlySet<string> keys)
    {
        using var consumer = new ConsumerBuilder<byte[]?, byte[]?>(new ConsumerConfig
        {
            BootstrapServers = _broker.BootstrapServers, GroupId = $"reader-{Guid.NewGuid():N}", EnableAutoCommit = false,
            AutoOffsetReset = AutoOffsetReset.Earliest, FetchWaitMaxMs = 5,
        }).SetLogHandler((_, _) => { }).Build();
        consumer.Assign(Enumerable.Range(0, 4).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
        var all = new List<ConsumeResult<byte[]?, byte[]?>>();
        var missing = new HashSet<string>(keys);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (missing.Count > 0 && clock.Elapsed < Eventually.Patience)
        {
            if (consumer.Consume(50) is not { } result) continue;
            all.Add(result);
            missing.Remove(Encoding.UTF8.GetString(result.Message.Key!));
        }
        consumer.Close();
        return all;
    }
}
