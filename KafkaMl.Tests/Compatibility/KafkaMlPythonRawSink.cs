namespace KafkaMl.Tests.Compatibility;

/// <summary>
/// Kafka-ML's Python <c>RawSink</c> (<c>kafka-ml/datasources/sink.py</c>) reduced to what reaches the wire,
/// written against <c>kafka-python</c> like the original and sharing no code with KafkaMl: each sample's
/// features are the little-endian bytes of a float32 array (the value), its label those of an int32 (the
/// key); after flushing, the ranges come from every partition's end offset before and after sending,
/// and the control message — <c>json.dumps</c> of Kafka-ML's fields — is keyed by <c>bytes([deployment_id])</c>.
/// numpy is not needed: <c>struct.pack('&lt;…f')</c> writes what <c>ndarray.tobytes()</c> would.
/// </summary>
internal static class KafkaMlPythonRawSink
{
    /// <summary>Argument: one JSON object with bootstrap, topic, control_topic, deployment_id, samples [[features], label], input_config, description, rates.</summary>
    public const string Script = """
        import json
        import struct
        import sys

        from kafka import KafkaConsumer, KafkaProducer, TopicPartition

        args = json.loads(sys.argv[1])
        bootstrap, topic, control_topic = args["bootstrap"], args["topic"], args["control_topic"]

        producer = KafkaProducer(bootstrap_servers=bootstrap)
        consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id="sink", enable_auto_commit=False)


        def end_offsets():
            partitions = consumer.partitions_for_topic(topic)
            return consumer.end_offsets([TopicPartition(topic, p) for p in sorted(partitions)])


        before = end_offsets()
        for features, label in args["samples"]:
            value = struct.pack("<%df" % len(features), *features)
            key = struct.pack("<i", label)
            producer.send(topic, value=value, key=key)
        producer.flush()
        after = end_offsets()

        ranges = ",".join(
            "%s:%d:%d:%d" % (topic, tp.partition, before[tp], after[tp])
            for tp in sorted(after, key=lambda t: t.partition)
            if after[tp] != before[tp]
        )
        message = {
            "topic": ranges,
            "input_format": "RAW",
            "input_config": args["input_config"],
            "description": args["description"],
            "validation_rate": args["validation_rate"],
            "test_rate": args["test_rate"],
            "total_msg": sum(after[tp] - before[tp] for tp in after),
        }
        producer.send(control_topic, key=bytes([args["deployment_id"]]), value=json.dumps(message).encode("utf-8"))
        producer.flush()
        producer.close()
        consumer.close()
        print(json.dumps(message))
        """;
}
