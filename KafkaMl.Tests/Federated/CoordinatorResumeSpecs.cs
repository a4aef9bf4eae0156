using KafkaMl.Core.Federated;
using static KafkaMl.Tests.Federated.FederatedData;

namespace KafkaMl.Tests.Federated;

/// <summary>What a coordinator started again reads back from its global topic on the embedded broker.</summary>
[Collection(EmbeddedBrokerCollection.Name)]
public sealed class CoordinatorResumeSpecs(BrokerFixture kafka)
{
    [Fact]
    public async Task A_restarted_coordinator_goes_on_from_the_last_global_weights_it_published_with_their_scaler_and_FedAdam_moments()
    {
        var topic = $"fl-resume-{Guid.NewGuid():N}";
        var scaler = new FeatureScaler([1f, 2f], [3f, 4f]);
        using (var publisher = new TransferPublisher(kafka.BootstrapServers, "test"))
        {
            publisher.EnsureTopics([topic]);
            await publisher.PublishAsync(topic, WeightTransfer.Split(Global(1, null), Weights(1)), CancellationToken.None);
            await publisher.PublishAsync(topic, WeightTransfer.Split(Global(2, null) with { Kind = TransferKinds.ServerState },
                CoordinatorState.JoinMoments(Weights(0.5), Weights(0.25))), CancellationToken.None);
            await publisher.PublishAsync(topic, WeightTransfer.Split(Global(2, scaler), Weights(2), chunkBytes: 16), CancellationToken.None);
        }

        using var reader = new TransferReader(kafka.BootstrapServers, topic, "test");
        var state = CoordinatorState.Read(reader, TimeSpan.FromSeconds(5), CancellationToken.None);

        Assert.Equal(2, state.NextRound);
        Assert.Equal(Weights(2).ByName["weight"].Values, state.Global!.ByName["weight"].Values);
        Assert.Equal(scaler, state.Scaler);
        Assert.Equal(Weights(0.25).ByName["bias"].Values, state.Moments!.Value.V.ByName["bias"].Values);
    }

    [Fact]
    public void A_coordinator_that_published_nothing_starts_fresh()
    {
        var topic = $"fl-fresh-{Guid.NewGuid():N}";
        using (var publisher = new TransferPublisher(kafka.BootstrapServers, "test")) publisher.EnsureTopics([topic]);

        using var reader = new TransferReader(kafka.BootstrapServers, topic, "test");

        Assert.Same(CoordinatorState.Fresh, CoordinatorState.Read(reader, TimeSpan.FromSeconds(2), CancellationToken.None));
    }

    private static TransferManifest Global(int round, FeatureScaler? scaler) =>
        new() { Transfer = Guid.NewGuid().ToString("N"), Kind = TransferKinds.Global, ResultId = 9, Round = round, Scaler = scaler };
}
