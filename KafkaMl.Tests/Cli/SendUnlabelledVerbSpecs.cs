namespace KafkaMl.Tests.Cli;

/// <summary>
/// <c>KafkaMl.Web send --unlabelled FILE</c> as a real child process against the embedded broker: the unlabelled rows
/// go to the unsupervised topic keyed by one byte 0, and the control message's <c>unsupervised_topic</c> names them
/// (their ranges for a bounded stream; the bare topic after the labelled ranges with <c>--online</c>).
/// </summary>
[Collection(CliBrokerCollection.Name)]
public sealed class SendUnlabelledVerbSpecs(BrokerFixture broker)
{
    private static readonly string[] Lines = [.. File.ReadLines(Cli.HcopdCsv).Where(l => l.Length > 0)];

    /// <summary>The first 40 HCOPD rows, labelled, as a file.</summary>
    private static TempCsv Labelled() => TempCsv.With(string.Join('\n', Lines.Take(41)));

    /// <summary>The other 199 rows without their label column, the features in another order (Age, Smoking, Gender).</summary>
    private static TempCsv UnlabelledReordered() => TempCsv.With("Age,Smoking,Gender\n" + string.Join('\n', Lines.Skip(41).Select(line =>
    {
        var cells = line.Split(',');
        return $"{cells[2]},{cells[3]},{cells[1]}";
    })));

    private static IEnumerable<string> UnlabelledFeatures() => Cli.HcopdRows().Skip(40).Select(r => Cli.Show(r.Features, 0));

    [Fact]
    public async Task A_bounded_send_writes_the_unlabelled_rows_keyed_0_and_names_their_ranges_in_unsupervised_topic()
    {
        var topics = broker.NewTopics();
        using var labelled = Labelled();
        using var unlabelled = UnlabelledReordered();

        using var send = await Cli.SendAsync(broker, topics, labelled.Path, 31, "--unlabelled", unlabelled.Path);

        Assert.True(send.ExitCode == 0, send.Transcript);
        var message = Cli.ControlOn(broker, topics.Control).Message;
        Assert.Equal(40, message.TotalMsg);
        var ranges = TopicRanges.Parse(message.UnsupervisedTopic!);
        Assert.All(ranges, r => Assert.Equal($"{topics.Data}-unlabelled", r.Topic));
        Assert.Equal(199, TopicRanges.Total(ranges));
        var written = broker.ReadRanges(ranges);
        Assert.All(written, m => Assert.Equal(new byte[] { 0 }, m.Message.Key));
        var decoder = message.CreateDecoder();
        // Matched by the labelled file's feature names: Gender, Age, Smoking whatever the unlabelled file's order.
        Assert.Equal(UnlabelledFeatures().Order(), written.Select(m => Cli.Show(decoder.Decode(null, m.Message.Value).Features, 0)).Order());
        Assert.Equal("199", send.SummaryValue("unlabelled"));
        Assert.Equal(message.UnsupervisedTopic, send.SummaryValue("unsupervised"));
    }

    [Fact]
    public async Task An_online_send_announces_the_labelled_ranges_and_the_bare_unsupervised_topic_then_streams_the_unlabelled_rows()
    {
        var topics = broker.NewTopics(dataPartitions: 1);
        var unsupervised = $"{topics.Data}-pool";
        broker.Broker.CreateTopic(unsupervised, 1);
        using var labelled = Labelled();
        using var unlabelled = UnlabelledReordered();

        using var send = await Cli.SendAsync(broker, topics, labelled.Path, 32,
            "--online", "--rate", "1000", "--unlabelled", unlabelled.Path, "--unlabelled-topic", unsupervised);

        Assert.True(send.ExitCode == 0, send.Transcript);
        var control = Assert.Single(broker.ReadAll(topics.Control));
        Assert.Equal([(byte)32], control.Message.Key!);
        var message = ControlMessage.Read(control.Message.Key, control.Message.Value).Message;
        Assert.True(message.Incremental);
        Assert.Equal((40L, $"{topics.Data}:0:0:40"), (message.TotalMsg, message.Topic));
        Assert.Equal(unsupervised, message.UnsupervisedTopic);
        var written = broker.ReadAll(unsupervised);
        Assert.True(written[0].Message.Timestamp.UnixTimestampMs >= control.Message.Timestamp.UnixTimestampMs, "the control message goes before the unlabelled rows");
        var decoder = message.CreateDecoder();
        Assert.Equal(UnlabelledFeatures(), written.Select(m => Cli.Show(decoder.Decode(null, m.Message.Value).Features, 0)));
        Assert.All(written, m => Assert.Equal(new byte[] { 0 }, m.Message.Key));
    }

    [Fact]
    public async Task An_unlabelled_file_without_a_feature_column_is_refused_and_nothing_is_sent()
    {
        var topics = broker.NewTopics();
        using var labelled = Labelled();
        using var unlabelled = TempCsv.With("Age,Smoking\n70,2\n");

        using var send = await Cli.SendAsync(broker, topics, labelled.Path, 33, "--unlabelled", unlabelled.Path);

        Assert.True(send.ExitCode == 2, send.Transcript);
        Assert.Contains("Gender", send.Stderr());
        Assert.Contains("Nothing was sent.", send.Stderr());
        Assert.Equal(0, Cli.HighWatermarkSum(broker, topics.Data));
        Assert.Equal(0, Cli.HighWatermarkSum(broker, topics.Control));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Without_a_header_the_unlabelled_file_has_every_column_or_only_the_features(bool withLabelColumn)
    {
        var topics = broker.NewTopics();
        using var labelled = TempCsv.With(string.Join('\n', Lines.Skip(1).Take(40)));
        using var unlabelled = TempCsv.With(string.Join('\n', Lines.Skip(41).Select(line => withLabelColumn ? "9," + line[(line.IndexOf(',') + 1)..] : line[(line.IndexOf(',') + 1)..])));

        using var send = await Cli.SendAsync(broker, topics, labelled.Path, 34, "--no-header", "--label", "0", "--unlabelled", unlabelled.Path);

        Assert.True(send.ExitCode == 0, send.Transcript);
        var message = Cli.ControlOn(broker, topics.Control).Message;
        var decoder = message.CreateDecoder();
        var written = broker.ReadRanges(TopicRanges.Parse(message.UnsupervisedTopic!));
        Assert.Equal(UnlabelledFeatures().Order(), written.Select(m => Cli.Show(decoder.Decode(null, m.Message.Value).Features, 0)).Order());
    }

    [Fact]
    public async Task Without_a_header_an_unlabelled_file_of_another_width_is_refused_and_nothing_is_sent()
    {
        var topics = broker.NewTopics();
        using var labelled = TempCsv.With(string.Join('\n', Lines.Skip(1).Take(40)));
        using var unlabelled = TempCsv.With("70,2\n");

        using var send = await Cli.SendAsync(broker, topics, labelled.Path, 35, "--no-header", "--label", "0", "--unlabelled", unlabelled.Path);

        Assert.True(send.ExitCode == 2, send.Transcript);
        Assert.Contains("has 2 columns; unlabelled rows need the labelled file's 4 columns or only its 3 feature columns", send.Stderr());
        Assert.Equal(0, Cli.HighWatermarkSum(broker, topics.Data));
    }

    [Fact]
    public async Task An_unlabelled_topic_without_an_unlabelled_file_is_refused()
    {
        using var send = await Cli.RunAsync(["send", Cli.HcopdCsv, "--deployment", "1", "--unlabelled-topic", "pool", "--bootstrap-servers", Cli.NoBroker]);

        Assert.True(send.ExitCode == 2, send.Transcript);
        Assert.Contains("--unlabelled-topic names where --unlabelled FILE goes", send.Stderr());
    }
}
