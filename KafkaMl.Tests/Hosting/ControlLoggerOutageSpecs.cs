using System.Reflection;
using KafkaMl.Core.Broker;
using KafkaMl.Tests.Control;
using KafkaMl.Web.Hosting;
using Microsoft.Extensions.Logging.Abstractions;

namespace KafkaMl.Tests.Hosting;

/// <summary>The control logger against a broker that becomes unreachable for a while (its own broker and database).</summary>
public sealed class ControlLoggerOutageSpecs : IDisposable
{
    private const string ControlTopic = "control-outage";

    private readonly TestDatabase database = new();
    private readonly EmbeddedBroker broker = EmbeddedBroker.Start(new EmbeddedBrokerSettings(Port: 0));

    public void Dispose()
    {
        broker.Dispose();
        database.Dispose();
    }

    [Fact]
    public async Task The_logger_goes_on_storing_control_messages_after_the_broker_was_unreachable()
    {
        broker.CreateTopic(ControlTopic, partitions: 1);
        var stats = new ControlLoggerStats();
        using var logger = new ControlLoggerService(
            new KafkaEndpoint(broker.BootstrapServers, true, ControlTopic),
            Options.Create(new ControlLoggerOptions()),
            new ControlMessageRecorder(new TestDatabaseContexts(database), TimeProvider.System),
            stats,
            NullLogger<ControlLoggerService>.Instance);
        await logger.StartAsync(CancellationToken.None);
        await ProduceAsync("before:0:0:3");
        await stats.WaitUntilAsync(s => s.Stored == 1);

        // The broker's listener goes away with every connection through it; the logger's client notices.
        var quiet = stats.Snapshot.LastErrorTime;
        Listener(broker).Dispose();
        await stats.WaitUntilAsync(s => s.LastErrorTime != quiet);
        using var restored = TcpForwarder.Bind(new IPEndPoint(IPAddress.Loopback, broker.Port), NullLogger.Instance);
        restored.Start(IPEndPoint.Parse(broker.MockBootstrapServers.Split(',')[0]));

        await ProduceAsync("after:0:0:3");
        var snapshot = await stats.WaitUntilAsync(s => s.Stored == 2);
        await logger.StopAsync(CancellationToken.None);

        Assert.Equal(ControlLoggerState.Stopped, stats.Snapshot.State);
        Assert.Equal(0, snapshot.Rejected);
        await using var db = database.CreateContext();
        Assert.Equal(["before:0:0:3", "after:0:0:3"], await db.Datasources.OrderBy(d => d.Id).Select(d => d.Topic).ToListAsync());
    }

    private async Task ProduceAsync(string ranges)
    {
        using var producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig { BootstrapServers = broker.BootstrapServers, MessageTimeoutMs = 30_000 })
            .SetLogHandler((_, _) => { })
            .Build();
        var value = ControlMessageBuilder.KafkaMl().With("topic", ranges).With("total_msg", 3).Utf8();
        await producer.ProduceAsync(ControlTopic, new Message<byte[], byte[]> { Key = DeploymentKey.Encode(9), Value = value })
            .WaitAsync(Eventually.Patience);
    }

    /// <summary>The listener in front of the mock cluster (closing it drops the broker off the network; the cluster keeps its data and groups).</summary>
    private static TcpForwarder Listener(EmbeddedBroker broker) =>
        (TcpForwarder)typeof(EmbeddedBroker).GetField("_forwarder", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(broker)!;
}
