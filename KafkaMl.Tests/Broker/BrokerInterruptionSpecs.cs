using System.Net.Sockets;
using KafkaMl.Core.Broker;

namespace KafkaMl.Tests.Broker;

/// <summary>
/// <see cref="EmbeddedBroker.InterruptAsync"/>, the outage the resilience specs inflict: connections are cut and refused
/// for a while, and the broker's data is still there afterwards. Each spec owns its broker (an outage is global).
/// </summary>
public sealed class BrokerInterruptionSpecs : IDisposable
{
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(3);

    private readonly EmbeddedBroker _broker = EmbeddedBroker.Start(new EmbeddedBrokerSettings(Port: 0));

    [Fact]
    public async Task An_interruption_resets_open_connections_and_refuses_new_ones_until_it_is_over()
    {
        using var open = await ConnectAsync();

        var outage = _broker.InterruptAsync(Outage);

        Assert.True(await IsCutAsync(open), "the open connection survived the interruption");
        Assert.True(await IsRefusedAsync(), "a connection made during the outage was served");
        Assert.False(_broker.IsHealthy());
        Assert.Equal(1, await outage);
        Assert.True(_broker.IsHealthy());
    }

    [Fact]
    public async Task Kafka_clients_connected_through_an_interruption_reconnect_by_themselves_afterwards()
    {
        _broker.CreateTopic("reconnected", partitions: 1);
        using var producer = KafkaTestClients.Producer(_broker.BootstrapServers);
        await producer.ProduceAsync("reconnected", new Confluent.Kafka.Message<string, string> { Key = "before", Value = "before" });

        var cut = await _broker.InterruptAsync(Outage);
        await producer.ProduceAsync("reconnected", new Confluent.Kafka.Message<string, string> { Key = "after", Value = "after" }).WaitAsync(Eventually.Patience);

        Assert.True(cut >= 1, "the producer's connection was not cut");
        Assert.Equal(["before", "after"], KafkaTestClients.ConsumeFromStart(_broker.BootstrapServers, "reconnected", 2).Select(r => r.Message.Value));
    }

    [Fact]
    public async Task Topics_and_their_messages_are_still_there_after_an_interruption()
    {
        _broker.CreateTopic("kept", partitions: 1);
        await KafkaTestClients.ProduceAsync(_broker.BootstrapServers, "kept", KafkaTestClients.Messages(50));

        await _broker.InterruptAsync(Outage);
        await KafkaTestClients.ProduceAsync(_broker.BootstrapServers, "kept", KafkaTestClients.Messages(50, "after-"));

        var all = KafkaTestClients.ConsumeFromStart(_broker.BootstrapServers, "kept", 100);
        Assert.Equal(100, all.Count);
        Assert.Equal(KafkaTestClients.Messages(50).Select(m => m.Value), all.Take(50).Select(r => r.Message.Value));
    }

    public void Dispose() => _broker.Dispose();

    private async Task<Socket> ConnectAsync()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, _broker.Port));
        return socket;
    }

    /// <summary>The connection ends (reset or closed) instead of waiting for a request; a live Kafka connection stays silent.</summary>
    private static async Task<bool> IsCutAsync(Socket socket)
    {
        var buffer = new byte[16];
        try
        {
            var read = await socket.ReceiveAsync(buffer, SocketFlags.None).WaitAsync(TimeSpan.FromSeconds(30));
            return read == 0;
        }
        catch (SocketException)
        {
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    /// <summary>A connection is refused: reset while connecting, or at once after.</summary>
    private async Task<bool> IsRefusedAsync()
    {
        try
        {
            using var socket = await ConnectAsync();
            return await IsCutAsync(socket);
        }
        catch (SocketException)
        {
            return true;
        }
    }
}
