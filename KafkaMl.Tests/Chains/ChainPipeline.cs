using System.Diagnostics;
using KafkaMl.Core.Sinks;
using KafkaMl.Tests.EndToEnd;

namespace KafkaMl.Tests.Chains;

/// <summary>What the chain pipeline spec does to the portal process and the brokers: train, send, read answers and dead letters.</summary>
internal static class ChainPipeline
{
    public const double TestRate = 0.3;

    public const double ValidationRate = 0.1;

    public const int Seed = 42;

    /// <summary>The chain script of <see cref="TrainedChain"/> deployed through the portal and trained by its job process on a generated stream.</summary>
    public static async Task<(ResultResponse Result, SampleSet Test)> TrainAsync(PortalProcessFixture portal, int samples)
    {
        var name = $"chain-{Guid.NewGuid():N}";
        var model = await portal.PostAsync<ModelResponse>("/api/models", new { name, code = TrainedChain.Script });
        var configuration = await portal.PostAsync<ConfigurationResponse>("/api/configurations", new { name, modelIds = new[] { model.Id } });
        var deployment = await portal.PostAsync<DeploymentResponse>("/api/deployments", new
        {
            configurationId = configuration.Id,
            batchSize = 32,
            epochs = TrainedChain.Epochs,
            learningRate = 0.01,
            optimizer = "adam",
            loss = "cross_entropy",
            metrics = new[] { "accuracy" },
            seed = Seed,
        });
        SinkResult sent;
        using (var sink = new RawSink(new KafkaSinkOptions
        {
            BootstrapServers = portal.BootstrapServers,
            ControlTopic = portal.ControlTopic,
            Topic = $"chain-data-{Guid.NewGuid():N}",
            DeploymentId = deployment.Id,
            ValidationRate = ValidationRate,
            TestRate = TestRate,
        }))
        {
            foreach (var (features, label) in ChainData.EasyAndHard(samples, seed: 11)) sink.Send(features, [label]);
            sent = await sink.CompleteAsync();
        }
        var result = await portal.WaitForResultAsync(deployment.Results[0].Id, r => r.Status.IsFinal());
        return (result, TestSplit(portal, sent));
    }

    /// <summary>The test split the job made (the same ranges read back in order, the same split and seed), unscaled: the trade-off's samples.</summary>
    private static SampleSet TestSplit(PortalProcessFixture portal, SinkResult sent)
    {
        var decoder = DataFormats.CreateDecoder("RAW", InputConfig.Empty);
        var perRange = sent.Ranges.Select(_ => new List<DecodedSample>()).ToArray();
        new RangeReader(portal.BootstrapServers).Read(sent.Ranges, (i, m) => perRange[i].Add(decoder.Decode(m.Message.Key, m.Message.Value)), CancellationToken.None);
        return SampleSet.FromSamples(perRange.SelectMany(r => r).ToList()).Split(ValidationRate, TestRate, Seed).Test;
    }

    public static IReadOnlyList<float[]> Rows(SampleSet samples) =>
        [.. Enumerable.Range(0, samples.Count).Select(i => samples.Features.Slice(i * samples.FeatureSize, samples.FeatureSize).ToArray())];

    /// <summary>Sends each row as RAW float32 with a key of its own (its index and <paramref name="tag"/>); returns key → row.</summary>
    public static async Task<Dictionary<string, float[]>> SendAsync(string bootstrapServers, string topic, IReadOnlyList<float[]> rows, string tag)
    {
        using var producer = new ProducerBuilder<byte[]?, byte[]>(new ProducerConfig { BootstrapServers = bootstrapServers, LingerMs = 5 }).Build();
        var sent = new Dictionary<string, float[]>();
        for (var i = 0; i < rows.Count; i++)
        {
            var key = $"{tag}-{i}";
            var value = new byte[rows[i].Length * sizeof(float)];
            Buffer.BlockCopy(rows[i], 0, value, 0, value.Length);
            await producer.ProduceAsync(topic, new Message<byte[]?, byte[]> { Key = Encoding.UTF8.GetBytes(key), Value = value });
            sent[key] = rows[i];
        }
        return sent;
    }

    /// <summary>
    /// Reads the output topic from the start until every key of <paramref name="wanted"/> has an answer, then a little longer
    /// for duplicates (until the topic's end); answers of other keys are skipped. Key → answers.
    /// </summary>
    public static Dictionary<string, List<PredictionMessage>> ReadAnswers(string bootstrapServers, string topic, IReadOnlyCollection<string> wanted)
    {
        using var consumer = new ConsumerBuilder<byte[]?, byte[]>(new ConsumerConfig
        {
            BootstrapServers = bootstrapServers,
            GroupId = $"chain-reader-{Guid.NewGuid():N}",
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = false,
            EnablePartitionEof = true,
        }).Build();
        consumer.Subscribe(topic);
        var missing = new HashSet<string>(wanted);
        var answers = wanted.ToDictionary(k => k, _ => new List<PredictionMessage>());
        var clock = Stopwatch.StartNew();
        var atEnd = new HashSet<int>();
        while (missing.Count > 0 || atEnd.Count < consumer.Assignment.Count || consumer.Assignment.Count == 0)
        {
            Assert.True(clock.Elapsed < Eventually.Patience, $"{missing.Count} input(s) got no answer within {Eventually.Patience}, e.g. {missing.FirstOrDefault()}");
            ConsumeResult<byte[]?, byte[]>? record;
            try
            {
                record = consumer.Consume(TimeSpan.FromMilliseconds(200));
            }
            catch (ConsumeException e) when (e.Error.Code == ErrorCode.UnknownTopicOrPart)
            {
                continue;
            }
            if (record is null) continue;
            if (record.IsPartitionEOF)
            {
                atEnd.Add(record.Partition.Value);
                continue;
            }
            atEnd.Remove(record.Partition.Value);
            var key = record.Message.Key is { } bytes ? Encoding.UTF8.GetString(bytes) : "";
            if (!answers.TryGetValue(key, out var list)) continue;
            list.Add(PredictionMessage.Parse(record.Message.Value));
            missing.Remove(key);
        }
        consumer.Close();
        return answers;
    }

    /// <summary>The first dead letter on <paramref name="topic"/> whose key is <paramref name="key"/>: its reason.</summary>
    public static string ReadDeadLetterReason(string bootstrapServers, string topic, string key)
    {
        using var consumer = new ConsumerBuilder<byte[]?, byte[]?>(new ConsumerConfig
        {
            BootstrapServers = bootstrapServers,
            GroupId = $"chain-dlq-{Guid.NewGuid():N}",
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = false,
        }).Build();
        consumer.Subscribe(topic);
        var clock = Stopwatch.StartNew();
        while (true)
        {
            Assert.True(clock.Elapsed < Eventually.Patience, $"no dead letter with key {key} on {topic} within {Eventually.Patience}");
            ConsumeResult<byte[]?, byte[]?>? record;
            try
            {
                record = consumer.Consume(TimeSpan.FromMilliseconds(200));
            }
            catch (ConsumeException e) when (e.Error.Code == ErrorCode.UnknownTopicOrPart)
            {
                continue;
            }
            if (record?.Message.Key is not { } bytes || Encoding.UTF8.GetString(bytes) != key) continue;
            consumer.Close();
            return DeadLetters.ErrorOf(record.Message.Headers) ?? "";
        }
    }
}
