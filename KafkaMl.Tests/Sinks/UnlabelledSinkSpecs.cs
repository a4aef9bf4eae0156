namespace KafkaMl.Tests.Sinks;

/// <summary>
/// Unlabelled samples for semi-supervised training, the Kafka-ML way: to the unsupervised topic with key one byte 0,
/// announced by the control message's <c>unsupervised_topic</c> (ranges for a bounded stream; the bare topic after
/// the labelled part's ranges for an online one).
/// </summary>
[Collection(SinkBrokerCollection.Name)]
public sealed class UnlabelledSinkSpecs(BrokerFixture broker)
{
    private (string Data, string Control, string Unlabelled) NewTopics()
    {
        var (data, control) = broker.NewTopics();
        var unlabelled = KafkaSinkOptions.DefaultUnsupervisedTopic(data);
        broker.Broker.CreateTopic(unlabelled, 4);
        return (data, control, unlabelled);
    }

    [Fact]
    public async Task A_bounded_sink_writes_unlabelled_samples_keyed_0_and_names_their_ranges_in_unsupervised_topic()
    {
        var topics = NewTopics();
        using var sink = new RawSink(SinkSamples.Options(broker, (topics.Data, topics.Control)));

        foreach (var (features, label) in SinkSamples.Indexed(100)) sink.Send(features, label);
        foreach (var (features, _) in SinkSamples.Indexed(300)) sink.SendUnlabelled(features);
        var result = await sink.CompleteAsync();

        var sent = Assert.Single(broker.ReadAll(topics.Control));
        var control = ControlMessage.Read(sent.Message.Key, sent.Message.Value).Message;
        Assert.Equal(100, control.TotalMsg);
        Assert.False(control.Incremental);
        var unlabelledRanges = TopicRanges.Parse(control.UnsupervisedTopic!);
        Assert.Equal(result.UnlabelledRanges, unlabelledRanges);
        Assert.All(unlabelledRanges, r => Assert.Equal(topics.Unlabelled, r.Topic));
        Assert.Equal(300, TopicRanges.Total(unlabelledRanges));
        Assert.Equal(300, result.UnlabelledMessages);
        var unlabelled = broker.ReadRanges(unlabelledRanges);
        Assert.All(unlabelled, m => Assert.Equal(new byte[] { 0 }, m.Message.Key));
        var decoder = control.CreateDecoder();
        Assert.Equal(Enumerable.Range(0, 300).Select(i => (float)i),
            unlabelled.Select(m => decoder.Decode(null, m.Message.Value).Features[0]).Order());
        Assert.Equal(100, broker.ReadAll(topics.Data).Count);
    }

    [Fact]
    public async Task Without_unlabelled_samples_the_control_messages_unsupervised_topic_is_null()
    {
        var topics = NewTopics();
        using var sink = new RawSink(SinkSamples.Options(broker, (topics.Data, topics.Control)));

        sink.Send([1, 2, 3], [1]);
        var result = await sink.CompleteAsync();

        Assert.Null(result.ControlMessage!.UnsupervisedTopic);
        Assert.Contains("\"unsupervised_topic\":null", Encoding.UTF8.GetString(Assert.Single(broker.ReadAll(topics.Control)).Message.Value!));
    }

    [Fact]
    public async Task An_online_sink_announces_the_labelled_ranges_and_the_bare_unsupervised_topic_before_the_first_unlabelled_sample()
    {
        var topics = NewTopics();
        using var sink = new RawSink(SinkSamples.Options(broker, (topics.Data, topics.Control)) with
        {
            Online = true, DeploymentId = 5, UnsupervisedTopic = topics.Unlabelled,
        });

        foreach (var (features, label) in SinkSamples.Indexed(40)) sink.Send(features, label);
        Assert.Empty(broker.ReadAll(topics.Control)); // not before the labelled part is measured
        // The first unlabelled sample waits for the announcement: the control message is there once it returns.
        sink.SendUnlabelled([1, 2, 3]);
        var announced = Assert.Single(broker.ReadAll(topics.Control));
        foreach (var (features, _) in SinkSamples.Indexed(59)) sink.SendUnlabelled(features);
        var result = await sink.CompleteAsync();

        var control = ControlMessage.Read(announced.Message.Key, announced.Message.Value);
        Assert.Equal(5, control.DeploymentId);
        Assert.Equal([(byte)5], announced.Message.Key!);
        Assert.True(control.Message.Incremental);
        Assert.Equal(40, control.Message.TotalMsg);
        Assert.Equal(result.Ranges, control.Message.GetRanges());
        Assert.Equal(topics.Unlabelled, control.Message.UnsupervisedTopic);
        Assert.Equal(60, result.UnlabelledMessages);
        Assert.Single(broker.ReadAll(topics.Control)); // completing sends no second control message
        Assert.Throws<InvalidOperationException>(() => sink.Send([1, 2, 3], [0]));
    }

    [Fact]
    public void An_online_sink_refuses_labelled_samples_after_its_labelled_part_was_announced()
    {
        var topics = NewTopics();
        using var sink = new RawSink(SinkSamples.Options(broker, (topics.Data, topics.Control)) with { Online = true, UnsupervisedTopic = topics.Unlabelled });
        sink.Send([1, 2, 3], [1]);
        sink.SendUnlabelled([1, 2, 3]);

        var refused = Assert.Throws<InvalidOperationException>(() => sink.Send([4, 5, 6], [0]));

        Assert.Contains("already announced", refused.Message);
    }

    [Fact]
    public void An_online_sink_without_an_unsupervised_topic_refuses_unlabelled_samples()
    {
        var topics = NewTopics();
        using var sink = new RawSink(SinkSamples.Options(broker, (topics.Data, topics.Control)) with { Online = true });

        var refused = Assert.Throws<InvalidOperationException>(() => sink.SendUnlabelled([1, 2, 3]));

        Assert.Contains("UnsupervisedTopic", refused.Message);
    }

    [Fact]
    public void The_unsupervised_topic_must_differ_from_the_data_topic()
    {
        var options = SinkSamples.Options(broker, ("data", "control")) with { UnsupervisedTopic = "data" };

        Assert.Contains("The unsupervised topic must differ from the data topic and the control topic.", options.Validate());
    }
}
