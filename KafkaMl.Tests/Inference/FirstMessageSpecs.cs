using System.Collections.Concurrent;
using KafkaMl.Core.Broker;

namespace KafkaMl.Tests.Inference;

/// <summary>
/// The defect of issue 14: a replica that subscribed before its input topic existed was rebalanced when the topic
/// appeared. With the topics made first (<see cref="ITopicCreator"/>), the replica's first assignment is its last.
/// </summary>
[Collection(InferenceBrokerCollection.Name)]
public sealed class FirstMessageSpecs
{
    [Fact]
    public async Task A_replica_started_on_topics_made_by_the_deploy_answers_its_first_message_without_a_rebalance()
    {
        using var broker = EmbeddedBroker.Start(new EmbeddedBrokerSettings(Port: 0));
        var id = Guid.NewGuid().ToString("N")[..8];
        var (input, output) = ($"first-in-{id}", $"first-out-{id}");
        var topics = await new EmbeddedTopicCreator(broker).EnsureAsync([input, output, TopicNames.DeadLetter(input)], partitions: 3, replicationFactor: 1);
        Assert.All(topics, t => Assert.True(t.Created));
        using var module = InferenceModels.Hcopd();
        var changes = new ConcurrentQueue<InferenceProgress>();
        var engine = new InferenceEngine(InferenceModels.Served(module), new RawDecoder(new RawFormatConfig()), new InferenceEngineOptions
        {
            BootstrapServers = broker.BootstrapServers,
            InputTopic = input,
            OutputTopic = output,
            ConsumerGroup = $"group-{id}",
            SessionTimeoutMs = KafkaClientConfig.EmbeddedReplicaSessionTimeoutMs,
        });
        using var stop = new CancellationTokenSource();
        var run = engine.RunAsync(new Recorder(changes), stop.Token);

        using (var producer = new Confluent.Kafka.ProducerBuilder<byte[]?, byte[]?>(KafkaClientConfig.LowLatencyProducer(broker.BootstrapServers, "first-message")).Build())
            await producer.ProduceAsync(input, InferenceInputs.Message(1));
        await Eventually.Until(() => engine.Stats.MessagesOut == 1, "the first message answered");
        await stop.CancelAsync();
        await run.WaitAsync(Eventually.Patience);

        var beforeStopping = changes.TakeWhile(c => c.Kind != InferenceProgressKind.Stopping).ToList();
        var assigned = Assert.Single(beforeStopping, c => c.Kind == InferenceProgressKind.Assigned);
        Assert.Equal([0, 1, 2], assigned.Assignment);
        Assert.DoesNotContain(beforeStopping, c => c.Kind is InferenceProgressKind.Revoked or InferenceProgressKind.Lost);
    }

    private sealed class Recorder(ConcurrentQueue<InferenceProgress> changes) : IProgress<InferenceProgress>
    {
        public void Report(InferenceProgress value) => changes.Enqueue(value);
    }
}
