namespace KafkaMl.Tests.Sinks;

[Collection(SinkBrokerCollection.Name)]
public sealed class RawSinkSpecs(BrokerFixture broker, ITestOutputHelper output)
{
    [Fact]
    public async Task The_control_message_ranges_sum_to_the_samples_sent_and_read_back_to_them()
    {
        var topics = broker.NewTopics();
        var samples = SinkSamples.Indexed(1000);
        using var sink = new RawSink(SinkSamples.Options(broker, topics));

        foreach (var (features, label) in samples) sink.Send(features, label);
        var result = await sink.CompleteAsync();

        var control = Assert.Single(broker.ReadAll(topics.Control));
        var received = ControlMessage.Read(control.Message.Key, control.Message.Value);
        Assert.Equal(17, received.DeploymentId);
        Assert.Equal("17", Encoding.ASCII.GetString(control.Message.Key!));
        Assert.Equal(1000, received.Message.TotalMsg);
        Assert.Equal(1000, TopicRanges.Total(received.Message.GetRanges()));
        Assert.Equal(result.Ranges, received.Message.GetRanges());

        var decoder = received.Message.CreateDecoder();
        var decoded = broker.ReadRanges(received.Message.GetRanges())
            .Select(m => decoder.Decode(m.Message.Key, m.Message.Value))
            .OrderBy(s => s.Features[0])
            .ToList();
        Assert.Equal(1000, decoded.Count);
        for (var i = 0; i < samples.Length; i++)
        {
            Assert.Equal(samples[i].Features, decoded[i].Features);
            Assert.Equal(samples[i].Label, decoded[i].Label!);
        }
    }

    [Fact]
    public async Task Without_a_fixed_partition_the_samples_spread_over_every_partition_regardless_of_label()
    {
        var topics = broker.NewTopics(dataPartitions: 4);
        using var sink = new RawSink(SinkSamples.Options(broker, topics));

        foreach (var (features, label) in SinkSamples.Indexed(KafkaSink.SpreadBlock * 8)) sink.Send(features, label);
        var result = await sink.CompleteAsync();

        Assert.Equal([0, 1, 2, 3], result.Ranges.Select(r => r.Partition));
        Assert.All(result.Ranges, r => Assert.Equal(2 * KafkaSink.SpreadBlock, r.Count));
    }

    [Fact]
    public async Task On_one_partition_the_ranges_keep_the_send_order()
    {
        var topics = broker.NewTopics();
        var samples = SinkSamples.Indexed(300);
        using var sink = new RawSink(SinkSamples.Options(broker, topics) with { Partition = 2 });

        foreach (var (features, label) in samples) sink.Send(features, label);
        var result = await sink.CompleteAsync();

        var range = Assert.Single(result.Ranges);
        Assert.Equal(new TopicRange(topics.Data, 2, 0, 300), range);
        var decoder = result.ControlMessage!.CreateDecoder();
        var order = broker.ReadRanges(result.Ranges).Select(m => decoder.Decode(m.Message.Key, m.Message.Value).Features[0]);
        Assert.Equal(Enumerable.Range(0, 300).Select(i => (float)i), order);
    }

    [Fact]
    public async Task The_control_message_carries_the_format_its_config_the_rates_and_the_description()
    {
        var topics = broker.NewTopics();
        var format = new RawFormatConfig(RawDataType.UInt8, RawDataType.UInt8, "2 2");
        using var sink = new RawSink(SinkSamples.Options(broker, topics) with { Description = "MNIST-ish" }, format);

        sink.Send([0, 1, 2, 255], [7]);
        await sink.CompleteAsync();

        var message = ControlMessage.Parse(Assert.Single(broker.ReadAll(topics.Control)).Message.Value);
        Assert.Equal("RAW", message.InputFormat);
        Assert.Equal("""{"data_type":"uint8","label_type":"uint8","data_reshape":"2 2","label_reshape":""}""", message.InputConfig.ToString());
        Assert.Equal(0.1, message.ValidationRate);
        Assert.Equal(0.2, message.TestRate);
        Assert.Equal("MNIST-ish", message.Description);
        Assert.False(message.Incremental);
    }

    [Fact]
    public async Task Progress_reports_messages_and_bytes()
    {
        var topics = broker.NewTopics();
        var progress = new SinkSamples.Recorder();
        using var sink = new RawSink(SinkSamples.Options(broker, topics) with { Progress = progress, ProgressInterval = 100 });

        foreach (var (features, label) in SinkSamples.Indexed(500)) sink.Send(features, label);
        await sink.CompleteAsync();

        var reports = progress.Reports;
        Assert.Equal([100L, 200L, 300L, 400L, 500L, 500L], reports.Select(r => r.Sent));
        Assert.Equal(500, reports[^1].Delivered);
        Assert.Equal(500 * (12 + 4), reports[^1].Bytes);
    }

    [Fact]
    public async Task A_failed_delivery_surfaces_from_completion_and_no_control_message_is_sent()
    {
        var topics = broker.NewTopics(dataPartitions: 1);
        using var sink = new RawSink(SinkSamples.Options(broker, topics) with { Partition = 5 });

        var failure = await Assert.ThrowsAsync<SinkDeliveryException>(async () =>
        {
            foreach (var (features, label) in SinkSamples.Indexed(10)) sink.Send(features, label);
            await sink.CompleteAsync();
        });

        Assert.Contains("no control message was sent", failure.Message);
        Assert.Empty(broker.ReadAll(topics.Control));
    }

    [Fact]
    public async Task An_online_sink_sends_its_control_message_before_any_data()
    {
        var topics = broker.NewTopics();
        using var sink = new RawSink(SinkSamples.Options(broker, topics) with { Online = true, DeploymentId = 3 });

        await sink.StartAsync();
        var control = Assert.Single(broker.ReadAll(topics.Control));
        Assert.Empty(broker.ReadAll(topics.Data));

        foreach (var (features, label) in SinkSamples.Indexed(50)) sink.Send(features, label);
        var result = await sink.CompleteAsync();

        var received = ControlMessage.Read(control.Message.Key, control.Message.Value);
        Assert.Equal(3, received.DeploymentId);
        Assert.Equal([(byte)3], control.Message.Key!); // Kafka-ML's OnlineRawSink key: the id as one raw byte
        Assert.True(received.Message.Incremental);
        Assert.Equal(topics.Data, received.Message.Topic);
        Assert.Null(received.Message.TotalMsg);
        Assert.Single(broker.ReadAll(topics.Control));
        Assert.Equal(50, result.Messages);
        Assert.True(broker.ReadAll(topics.Data).Single(m => m.Offset == 0).Message.Timestamp.UnixTimestampMs
            >= control.Message.Timestamp.UnixTimestampMs);
    }

    [Fact]
    public async Task A_sink_that_sent_nothing_announces_nothing()
    {
        var topics = broker.NewTopics();
        using var sink = new RawSink(SinkSamples.Options(broker, topics));

        await Assert.ThrowsAsync<InvalidOperationException>(() => sink.CompleteAsync());

        Assert.Empty(broker.ReadAll(topics.Control));
    }

    [Fact]
    public void A_sample_the_format_cannot_carry_is_rejected_before_it_is_sent()
    {
        var topics = broker.NewTopics();
        using var sink = new RawSink(SinkSamples.Options(broker, topics), new RawFormatConfig(DataReshape: "2 2"));

        var error = Assert.Throws<DataFormatException>(() => sink.Send([1, 2, 3], [0]));

        Assert.Contains("data_reshape '2 2'", error.Message);
        Assert.Equal(0, sink.MessagesSent);
    }

    [Fact]
    public async Task The_benchmark_sends_and_acknowledges_every_message()
    {
        var result = await SinkBenchmark.RunAsync(broker.BootstrapServers, 20_000);

        Assert.Equal(20_000, result.Messages);
        Assert.Equal(20_000, TopicRanges.Total(result.Ranges));
        output.WriteLine($"RawSink, 3 float32 features + float32 label: {result.Messages} messages in {result.Elapsed.TotalMilliseconds:0} ms = {result.MessagesPerSecond:0} msg/s");
    }
}
