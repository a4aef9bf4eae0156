namespace KafkaMl.Tests.Compatibility;

/// <summary>
/// Kafka-ML's Python <c>RawSink</c> (<c>kafka-ml/datasources/sink.py</c>) reduced to what reaches the wire,
/// written against <c>kafka-python</c> like the original and sharing no code with KafkaMl: each sample's
/// features are the little-endian bytes of a float32 array (the value), its label those of an int32 (the
/// key); after flushing, the ranges come from every partition's end offset before and after sending,
/// and the control message — <c>json.dumps</c> of Kafka-ML's fields — is keyed by <c>bytes([deployment_id])</c>.
/// numpy is not needed: <c>struct.pack('&lt;…f')</c> writes what <c>ndarray.tobytes()</c> would.
/// With <c>unlabelled</c> samples and an <c>unsupervised_topic</c> it also sends those the way Kafka-ML's sinks send
/// unlabelled data (a dummy key of one byte 0, the features as value) and names their ranges in the control
/// message's <c>unsupervised_topic</c>; otherwise that field is null.
/// </summary>
internal static class KafkaMlPythonRawSink
{
    /// <summary>
    /// Argument: one JSON object with bootstrap, topic, control_topic, deployment_id, samples [[features], label],
    /// input_config, description, rates; optionally unlabelled [[features]] and unsupervised_topic.
    /// </summary>
    public const string Script = """
        import json
        import struct
        import sys

        from kafka import KafkaConsumer, KafkaProducer, TopicPartition

        args = json.loads(sys.argv[1])
        bootstrap, topic, control_topic = args["bootstrap"], args["topic"], args["control_topic"]

        producer = KafkaProducer(bootstrap_servers=bootstrap)
        consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id="sink", enable_auto_commit=False)


        # A topic the consumer does not know yet is looked up by the producer, which creates it where the broker
        # auto-creates topics (as Kafka-ML's sinks rely on).
        def end_offsets(name):
            partitions = consumer.partitions_for_topic(name) or producer.partitions_for(name)
            return consumer.end_offsets([TopicPartition(name, p) for p in sorted(partitions)])


        # Sends (key, value) pairs; returns the ranges written and their count.
        def send(name, messages):
            before = end_offsets(name)
            for key, value in messages:
                producer.send(name, value=value, key=key)
            producer.flush()
            after = end_offsets(name)
            ranges = ",".join(
                "%s:%d:%d:%d" % (name, tp.partition, before[tp], after[tp])
                for tp in sorted(after, key=lambda t: t.partition)
                if after[tp] != before[tp]
            )
            return ranges, sum(after[tp] - before[tp] for tp in after)


        def features_bytes(features):
            return struct.pack("<%df" % len(features), *features)


        ranges, total = send(topic, [(struct.pack("<i", label), features_bytes(features)) for features, label in args["samples"]])
        unsupervised_topic = None
        if args.get("unlabelled"):
            unsupervised_topic, _ = send(args["unsupervised_topic"], [(bytes([0]), features_bytes(features)) for features in args["unlabelled"]])
        message = {
            "topic": ranges,
            "input_format": "RAW",
            "input_config": args["input_config"],
            "description": args["description"],
            "validation_rate": args["validation_rate"],
            "test_rate": args["test_rate"],
            "total_msg": total,
            "unsupervised_topic": unsupervised_topic,
        }
        producer.send(control_topic, key=bytes([args["deployment_id"]]), value=json.dumps(message).encode("utf-8"))
        producer.flush()
        producer.close()
        consumer.close()
        print(json.dumps(message))
        """;
}
