using System.Net.Sockets;
using KafkaMl.Core.Broker;

namespace KafkaMl.Tests.Broker;

/// <summary>The embedded broker started in the test process, shared by these specifications.</summary>
[Collection(EmbeddedBrokerCollection.Name)]
public sealed class EmbeddedBrokerSpecs(BrokerFixture fixture)
{
    private EmbeddedBroker Broker => fixture.Broker;

    [Fact]
    public async Task Messages_produced_to_a_topic_are_consumed_back_in_order()
    {
        const string topic = "in-order";
        Broker.CreateTopic(topic, partitions: 1);

        await KafkaTestClients.ProduceAsync(Broker.BootstrapServers, topic, KafkaTestClients.Messages(100));
        var received = KafkaTestClients.ConsumeFromStart(Broker.BootstrapServers, topic, 100);

        Assert.Equal(
            KafkaTestClients.Messages(100).Select(m => (m.Key, m.Value)),
            received.Select(r => (r.Message.Key, r.Message.Value)));
    }

    [Fact]
    public void CreateTopic_creates_the_requested_number_of_partitions()
    {
        Broker.CreateTopic("seven-partitions", partitions: 7);

        var metadata = KafkaTestClients.TopicMetadata(Broker.BootstrapServers, "seven-partitions");

        Assert.Equal(7, metadata.Partitions.Count);
    }

    [Fact]
    public void CreateTopic_leaves_an_existing_topic_as_it_is()
    {
        Broker.CreateTopic("created-twice", partitions: 2);

        Broker.CreateTopic("created-twice", partitions: 5);

        Assert.Equal(2, KafkaTestClients.TopicMetadata(Broker.BootstrapServers, "created-twice").Partitions.Count);
    }

    [Fact]
    public async Task A_topic_is_auto_created_with_four_partitions_on_first_produce()
    {
        await KafkaTestClients.ProduceAsync(Broker.BootstrapServers, "auto-created", KafkaTestClients.Messages(1));

        Assert.Equal(4, KafkaTestClients.TopicMetadata(Broker.BootstrapServers, "auto-created").Partitions.Count);
    }

    [Fact]
    public void Port_zero_picks_a_free_port_and_advertises_it_on_loopback()
    {
        Assert.NotEqual(0, Broker.Port);
        Assert.Equal($"127.0.0.1:{Broker.Port}", Broker.BootstrapServers);
    }

    [Fact]
    public void A_running_broker_is_healthy()
    {
        Assert.True(Broker.IsHealthy());
    }
}

/// <summary>Brokers started and stopped by the specification itself, each on its own port.</summary>
public sealed class EmbeddedBrokerLifecycleSpecs
{
    [Fact]
    public void Start_on_a_port_in_use_throws_BrokerStartException_naming_the_port()
    {
        var occupant = new TcpListener(IPAddress.Loopback, 0);
        occupant.Start();
        try
        {
            var port = ((IPEndPoint)occupant.LocalEndpoint).Port;

            var error = Assert.Throws<BrokerStartException>(() => EmbeddedBroker.Start(new EmbeddedBrokerSettings(Port: port)));

            Assert.Equal(port, error.Port);
            Assert.Contains($"Port {port} on 127.0.0.1 is already in use", error.Message);
            Assert.Contains("KafkaMl:Kafka:EmbeddedPort", error.Message);
        }
        finally
        {
            occupant.Stop();
        }
    }

    [Fact]
    public void A_chosen_port_is_the_advertised_bootstrap_address_and_the_broker_address_in_metadata()
    {
        var port = FreePort();

        using var broker = EmbeddedBroker.Start(new EmbeddedBrokerSettings(Port: port));
        using var admin = KafkaTestClients.Admin($"127.0.0.1:{port}");
        var metadata = admin.GetMetadata(TimeSpan.FromSeconds(20));

        Assert.Equal($"127.0.0.1:{port}", broker.BootstrapServers);
        Assert.Equal(port, broker.Port);
        var advertised = Assert.Single(metadata.Brokers);
        Assert.Equal(("127.0.0.1", port), (advertised.Host, advertised.Port));
    }

    [Fact]
    public async Task A_broker_bound_to_all_interfaces_advertises_loopback_and_serves_it()
    {
        using var broker = EmbeddedBroker.Start(new EmbeddedBrokerSettings(Port: 0, BindAddress: "0.0.0.0"));

        await KafkaTestClients.ProduceAsync(broker.BootstrapServers, "all-interfaces", KafkaTestClients.Messages(1));

        Assert.Equal($"127.0.0.1:{broker.Port}", broker.BootstrapServers);
        Assert.True(broker.IsHealthy());
    }

    [Fact]
    public void A_disposed_broker_is_unhealthy_and_frees_its_port()
    {
        var broker = EmbeddedBroker.Start(new EmbeddedBrokerSettings(Port: 0));
        var port = broker.Port;

        broker.Dispose();

        Assert.False(broker.IsHealthy());
        var successor = new TcpListener(IPAddress.Loopback, port);
        successor.Start(); // throws if the port were still held
        successor.Stop();
    }

    private static int FreePort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }
}
