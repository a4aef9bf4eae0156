using System.Collections.Concurrent;

namespace KafkaMl.Tests.Inference;

/// <summary>Replicas rebalance incrementally on the real embedded broker: classic cooperative-sticky groups and KIP-848 consumer groups alike.</summary>
[Collection(InferenceBrokerCollection.Name)]
public sealed class IncrementalRebalanceSpecs(BrokerFixture broker, ITestOutputHelper output)
{
    [Theory]
    [InlineData(GroupProtocol.Classic)]
    [InlineData(GroupProtocol.Consumer)]
    public async Task A_joining_replica_takes_only_the_partitions_that_move_and_the_first_keeps_the_rest_without_losing_an_input(GroupProtocol protocol)
    {
        var topics = broker.NewInferenceTopics(partitions: 4);
        using var module = InferenceModels.Hcopd();
        var first = Start(topics, module, "0", protocol);
        await Eventually.Until(() => first.Engine.Assignment.Count == 4, "the first replica holding all 4 partitions");

        const int count = 600;
        var sending = Task.Run(async () =>
        {
            for (var start = 0; start < count; start += 20)
            {
                await broker.ProduceAsync(topics.Input, Enumerable.Range(start, 20).Select(i => InferenceInputs.Message(i)));
                await Task.Delay(50);
            }
        });
        var second = Start(topics, module, "1", protocol);
        await Eventually.Until(() => second.Engine.Assignment.Count > 0 && first.Engine.Assignment.Union(second.Engine.Assignment).Count() == 4,
            "the two replicas sharing the 4 partitions");
        await sending;
        broker.ReadAnswers(topics.Output, Enumerable.Range(0, count).Select(i => $"k{i}").ToList());
        var kept = first.Engine.Assignment;
        var taken = second.Engine.Assignment;
        await second.DisposeAsync();
        await first.DisposeAsync();

        var changes = first.Changes.ToList();
        output.WriteLine(string.Join(Environment.NewLine, changes.Select(c => $"first {c.Kind} [{string.Join(",", c.Partitions)}] holds [{string.Join(",", c.Assignment)}]")));
        var beforeStopping = changes.TakeWhile(c => c.Kind != InferenceProgressKind.Stopping).ToList();
        var revoked = beforeStopping.Where(c => c.Kind == InferenceProgressKind.Revoked).SelectMany(c => c.Partitions).ToHashSet();
        Assert.DoesNotContain(beforeStopping, c => c.Kind == InferenceProgressKind.Lost);
        Assert.Equal(taken.Order(), revoked.Order());
        Assert.Empty(kept.Intersect(revoked));
        Assert.Equal([0, 1, 2, 3], kept.Union(revoked).Order());
        Assert.All(beforeStopping.Where(c => c.Kind == InferenceProgressKind.Revoked), c => Assert.NotEmpty(c.Assignment));
    }

    private RunningReplica Start(
        InferenceTopics topics, TorchSharp.torch.nn.Module<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor> module, string replica, GroupProtocol protocol)
    {
        var changes = new ConcurrentQueue<InferenceProgress>();
        var engine = new InferenceEngine(InferenceModels.Served(module), new RawDecoder(new RawFormatConfig()), new InferenceEngineOptions
        {
            BootstrapServers = broker.BootstrapServers,
            InputTopic = topics.Input,
            OutputTopic = topics.Output,
            ConsumerGroup = topics.Group,
            ModelName = "hcopd",
            Replica = replica,
            SessionTimeoutMs = KafkaClientConfig.EmbeddedReplicaSessionTimeoutMs,
            GroupProtocol = protocol,
        });
        var stop = new CancellationTokenSource();
        return new RunningReplica(engine, engine.RunAsync(new Recorder(changes), stop.Token), stop, changes);
    }

    private sealed class Recorder(ConcurrentQueue<InferenceProgress> changes) : IProgress<InferenceProgress>
    {
        public void Report(InferenceProgress value) => changes.Enqueue(value);
    }

    private sealed record RunningReplica(InferenceEngine Engine, Task Run, CancellationTokenSource Stop, ConcurrentQueue<InferenceProgress> Changes) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            if (!Stop.IsCancellationRequested) await Stop.CancelAsync();
            await Run.WaitAsync(Eventually.Patience);
        }
    }
}
