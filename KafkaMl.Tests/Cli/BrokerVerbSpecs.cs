using System.Net.Sockets;
using KafkaMl.Core;
using KafkaMl.Web.Cli;

namespace KafkaMl.Tests.Cli;

/// <summary>The <c>broker</c> verb running as a separate process, shared by these specifications.</summary>
[Collection(BrokerProcessCollection.Name)]
public sealed class BrokerVerbSpecs(BrokerProcessFixture fixture)
{
    [Fact]
    public async Task Two_consumers_in_one_group_share_the_partitions_and_receive_every_message_exactly_once()
    {
        const int count = 200;
        var groupId = $"spread-{Guid.NewGuid():N}";
        using var first = new GroupMember(fixture.BootstrapServers, groupId, BrokerProcessFixture.SharedTopic);
        using var second = new GroupMember(fixture.BootstrapServers, groupId, BrokerProcessFixture.SharedTopic);
        await Eventually.Until(
            () => first.Assigned.Count > 0 && second.Assigned.Count > 0
                && first.Assigned.Union(second.Assigned).Count() == 4
                && !first.Assigned.Overlaps(second.Assigned),
            "the group to spread 4 partitions over both consumers");

        var sent = KafkaTestClients.Messages(count, prefix: groupId).ToList();
        await KafkaTestClients.ProduceAsync(fixture.BootstrapServers, BrokerProcessFixture.SharedTopic, sent, i => new Partition(i % 4));
        await Eventually.Until(() => first.Received.Count + second.Received.Count >= count, $"{count} messages to arrive");

        var received = first.Received.Concat(second.Received).Select(r => (r.Message.Key, r.Message.Value)).ToList();
        Assert.Equal(sent.Select(m => (m.Key, m.Value)).Order(), received.Order());
        Assert.NotEmpty(first.Received);
        Assert.NotEmpty(second.Received);
        Assert.All(first.Received, r => Assert.Contains(r.Partition.Value, first.Assigned));
        Assert.All(second.Received, r => Assert.Contains(r.Partition.Value, second.Assigned));
    }

    [Fact]
    public void The_verb_prints_exactly_one_ready_line_naming_the_loopback_bootstrap_address()
    {
        var line = Assert.Single(fixture.Process.StdoutLines);

        Assert.Matches(@"^Embedded Kafka broker listening on 127\.0\.0\.1:[1-9][0-9]*$", line);
    }

    [Fact]
    public void The_verb_precreates_the_control_topic_with_one_partition_and_the_requested_topics()
    {
        using var admin = KafkaTestClients.Admin(fixture.BootstrapServers);

        var topics = admin.GetMetadata(TimeSpan.FromSeconds(20)).Topics.ToDictionary(t => t.Topic, t => t.Partitions.Count);

        Assert.Equal(1, topics.GetValueOrDefault(KafkaOptions.DefaultControlTopic));
        Assert.Equal(4, topics.GetValueOrDefault(BrokerProcessFixture.SharedTopic));
    }
}

/// <summary>Broker processes started and stopped by the specification itself.</summary>
public sealed class BrokerVerbLifecycleSpecs
{
    [Fact]
    public async Task The_verb_on_a_port_in_use_exits_1_naming_the_port_on_stderr()
    {
        var occupant = new TcpListener(IPAddress.Loopback, 0);
        occupant.Start();
        try
        {
            var port = ((IPEndPoint)occupant.LocalEndpoint).Port;
            using var process = KafkaMlProcess.Start(["broker", "--port", port.ToString()]);

            var exitCode = await process.WaitForExitAsync(Eventually.Patience);

            Assert.Equal(1, exitCode);
            Assert.Contains(process.StderrLines, line => line.Contains($"Port {port} on 127.0.0.1 is already in use"));
            Assert.Empty(process.StdoutLines);
        }
        finally
        {
            occupant.Stop();
        }
    }

    [Fact]
    public async Task The_verb_stops_cleanly_with_exit_code_0_on_SIGTERM()
    {
        using var process = KafkaMlProcess.Start(["broker", "--port", "0"]);
        await process.WaitForLineAsync(line => line.StartsWith(BrokerVerb.ReadyLinePrefix, StringComparison.Ordinal), Eventually.Patience, OutputStream.Stdout);

        var exitCode = await process.StopAsync(Eventually.Patience);

        Assert.Equal(0, exitCode);
    }

    [Fact]
    public async Task The_verb_rejects_an_unknown_option_with_exit_code_2()
    {
        using var process = KafkaMlProcess.Start(["broker", "--no-such-option"]);

        var exitCode = await process.WaitForExitAsync(Eventually.Patience);

        Assert.Equal(2, exitCode);
        Assert.Contains(process.StderrLines, line => line.Contains("--no-such-option"));
    }
}
