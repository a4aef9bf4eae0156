using KafkaMl.Core;
using KafkaMl.Core.Jobs.Inference;

namespace KafkaMl.Tests.Streaming;

/// <summary>How a replica joins its group: assignor, session timeout and static membership, per broker.</summary>
public sealed class ReplicaMembershipSpecs
{
    [Fact]
    public void A_replica_consumer_uses_the_cooperative_sticky_assignor_with_the_given_session_timeout_and_instance_id()
    {
        var config = KafkaClientConfig.ReplicaConsumer("kafka:9092", "inference-7", "client", "inference-7-1", sessionTimeoutMs: 3_000);

        Assert.Equal(PartitionAssignmentStrategy.CooperativeSticky, config.PartitionAssignmentStrategy);
        Assert.Equal((3_000, 1_000), (config.SessionTimeoutMs, config.HeartbeatIntervalMs));
        Assert.Equal("inference-7-1", config.GroupInstanceId);
        Assert.False(config.EnableAutoOffsetStore);
    }

    [Fact]
    public void A_consumer_protocol_replica_leaves_assignment_and_timings_to_the_coordinator()
    {
        var config = KafkaClientConfig.ReplicaConsumer("kafka:9092", "inference-7", "client", sessionTimeoutMs: 3_000, protocol: GroupProtocol.Consumer);

        Assert.Equal(GroupProtocol.Consumer, config.GroupProtocol);
        Assert.Null(config.PartitionAssignmentStrategy);
        Assert.Equal(((int?)null, (int?)null), (config.SessionTimeoutMs, config.HeartbeatIntervalMs));
    }

    [Theory]
    [InlineData(true, null, GroupProtocol.Consumer)]
    [InlineData(false, null, GroupProtocol.Classic)]
    [InlineData(null, null, GroupProtocol.Classic)]
    [InlineData(false, GroupProtocol.Consumer, GroupProtocol.Consumer)]
    [InlineData(true, GroupProtocol.Classic, GroupProtocol.Classic)]
    public void The_embedded_broker_gets_the_consumer_protocol_unless_one_is_given(bool? embedded, GroupProtocol? given, GroupProtocol expected)
    {
        var job = new InferenceJobOptions { Portal = new Uri("http://localhost:5080"), EmbeddedBroker = embedded, GroupProtocol = given };

        Assert.Equal(expected, job.EngineOptions("kafka:9092", "in", "out", "group", "model").GroupProtocol);
    }

    [Theory]
    [InlineData("consumer", true)]
    [InlineData("Classic", true)]
    [InlineData("", true)]
    [InlineData("kip848", false)]
    public void The_portal_accepts_only_a_known_group_protocol(string protocol, bool valid)
    {
        var options = new KafkaMlOptions { Kafka = new KafkaOptions { GroupProtocol = protocol } };

        var validation = new KafkaMlOptionsValidator().Validate(null, options);

        Assert.Equal(valid, validation.Succeeded);
        if (!valid) Assert.Contains("KafkaMl:Kafka:GroupProtocol", validation.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void The_portal_hands_its_group_protocol_to_the_replicas_it_starts_and_none_when_unset()
    {
        var told = JobEnvironment.Kafka(new KafkaEndpoint("kafka:9092", false, "control", GroupProtocol: "consumer"));
        var unset = JobEnvironment.Kafka(new KafkaEndpoint("kafka:9092", false, "control"));

        Assert.Equal("consumer", told[JobEnvironment.GroupProtocolVariable]);
        Assert.False(unset.ContainsKey(JobEnvironment.GroupProtocolVariable));
    }

    [Fact]
    public void Extra_kafka_settings_still_win_over_the_replica_defaults()
    {
        var config = KafkaClientConfig.ReplicaConsumer("kafka:9092", "g", "client", settings: [new("session.timeout.ms", "10000"), new("partition.assignment.strategy", "range")]);

        Assert.Equal(10_000, config.SessionTimeoutMs);
        Assert.Equal(PartitionAssignmentStrategy.Range, config.PartitionAssignmentStrategy);
        Assert.Null(config.GroupInstanceId);
    }

    [Theory]
    [InlineData("0", "inference-7-0")]
    [InlineData("12", "inference-7-12")]
    [InlineData("kafkaml-inference-7-5d9c8-x2v4q", null)]
    public void Only_a_replica_index_names_a_static_member(string replica, string? expected) =>
        Assert.Equal(expected, InferenceEngineOptions.StaticMemberId("inference-7", replica));

    [Theory]
    [InlineData(true, KafkaClientConfig.EmbeddedReplicaSessionTimeoutMs, null)]
    [InlineData(false, KafkaClientConfig.ReplicaSessionTimeoutMs, "group-3")]
    [InlineData(null, KafkaClientConfig.ReplicaSessionTimeoutMs, null)]
    public void The_broker_decides_the_session_timeout_and_whether_members_are_static(bool? embedded, int sessionTimeoutMs, string? instanceId)
    {
        var job = new InferenceJobOptions { Portal = new Uri("http://localhost:5080"), Replica = "3", EmbeddedBroker = embedded };

        var engine = job.EngineOptions("kafka:9092", "in", "out", "group", "model");

        Assert.Equal((sessionTimeoutMs, instanceId), (engine.SessionTimeoutMs, engine.GroupInstanceId));
    }
}
