using KafkaMl.Core.Broker;

namespace KafkaMl.Tests.Streaming;

/// <summary>The admin-API topic creator against clusters that cannot do everything: no CreateTopics API, or no broker at all.</summary>
public sealed class TopicCreatorSpecs
{
    [Fact]
    public async Task Against_a_cluster_without_the_create_topics_api_topics_are_created_the_way_it_creates_them_on_first_use()
    {
        // The embedded broker run apart (the broker verb) is an external cluster to the portal, and it has no CreateTopics.
        using var broker = EmbeddedBroker.Start(new EmbeddedBrokerSettings(Port: 0));
        broker.CreateTopic("kept-in", partitions: 2);
        var creator = new AdminTopicCreator(new KafkaEndpoint(broker.BootstrapServers, false, "control"));

        var topics = await creator.EnsureAsync(["kept-in", "new-out", "kept-in.dlq"], partitions: 6, replicationFactor: 1);

        Assert.Equal([("kept-in", (int?)2, false), ("new-out", 4, true), ("kept-in.dlq", 4, true)], topics.Select(t => (t.Name, t.Partitions, t.Created)));
    }

    [Fact]
    public async Task An_unreachable_cluster_is_reported_as_unavailable()
    {
        var creator = new AdminTopicCreator(new KafkaEndpoint("127.0.0.1:1", false, "control"));

        var problem = await Assert.ThrowsAsync<TopicCreationException>(() => creator.EnsureAsync(["in"], 4, 1));

        Assert.Equal(TopicCreationProblem.Unavailable, problem.Problem);
        Assert.Contains("127.0.0.1:1", problem.Message);
    }
}
