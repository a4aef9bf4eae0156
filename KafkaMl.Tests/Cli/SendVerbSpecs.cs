namespace KafkaMl.Tests.Cli;

/// <summary><c>KafkaMl.Web send</c> run as a real child process against the collection's embedded broker.</summary>
[Collection(CliBrokerCollection.Name)]
public sealed class SendVerbSpecs(BrokerFixture broker)
{
    [Fact]
    public async Task Sending_the_HCOPD_sample_writes_239_messages_and_one_control_message_whose_ranges_sum_to_239()
    {
        var topics = broker.NewTopics();

        using var send = await Cli.SendAsync(broker, topics, Cli.HcopdCsv, 7);

        Assert.True(send.ExitCode == 0, send.Transcript);
        Assert.Equal(239, Cli.HighWatermarkSum(broker, topics.Data));
        var received = Cli.ControlOn(broker, topics.Control);
        Assert.Equal(7, received.DeploymentId);
        Assert.Equal(239, received.Message.TotalMsg);
        Assert.Equal(239, TopicRanges.Total(received.Message.GetRanges()));
        Assert.All(received.Message.GetRanges(), r => Assert.Equal(topics.Data, r.Topic));
        Assert.Equal("RAW", received.Message.InputFormat);
        Assert.Equal(0.1, received.Message.ValidationRate);
        Assert.Equal(0.1, received.Message.TestRate);
    }

    [Fact]
    public async Task The_summary_names_the_messages_the_ranges_and_the_deployment()
    {
        var topics = broker.NewTopics();

        using var send = await Cli.SendAsync(broker, topics, Cli.HcopdCsv, 8);

        Assert.True(send.ExitCode == 0, send.Transcript);
        var control = Cli.ControlOn(broker, topics.Control);
        Assert.Equal("239", send.SummaryValue("messages"));
        Assert.Equal(control.Message.Topic, send.SummaryValue("ranges"));
        Assert.Equal("8", send.SummaryValue("deployment"));
        Assert.Matches(@"^\d+ \(", send.SummaryValue("bytes"));
        Assert.EndsWith(" msg/s", send.SummaryValue("rate"));
        Assert.EndsWith(" s", send.SummaryValue("elapsed"));
    }

    [Fact]
    public async Task The_messages_in_the_announced_ranges_decode_to_the_rows_of_the_csv_in_order_on_one_partition()
    {
        var topics = broker.NewTopics();

        using var send = await Cli.SendAsync(broker, topics, Cli.HcopdCsv, 9, "--partition", "0");

        Assert.True(send.ExitCode == 0, send.Transcript);
        var message = Cli.ControlOn(broker, topics.Control).Message;
        var decoder = message.CreateDecoder();
        var decoded = broker.ReadRanges(message.GetRanges()).Select(m => decoder.Decode(m.Message.Key, m.Message.Value)).ToList();
        var rows = Cli.HcopdRows();
        Assert.Equal(rows.Count, decoded.Count);
        for (var i = 0; i < rows.Count; i++)
        {
            Assert.Equal(rows[i].Features, decoded[i].Features);
            Assert.Equal([rows[i].Label], decoded[i].Label!);
        }
    }

    [Fact]
    public async Task Spread_over_partitions_the_announced_messages_are_exactly_the_rows_of_the_csv()
    {
        var topics = broker.NewTopics(dataPartitions: 4);

        using var send = await Cli.SendAsync(broker, topics, Cli.HcopdCsv, 10);

        Assert.True(send.ExitCode == 0, send.Transcript);
        var message = Cli.ControlOn(broker, topics.Control).Message;
        Assert.True(message.GetRanges().Count > 1, message.Topic);
        var decoder = message.CreateDecoder();
        var decoded = broker.ReadRanges(message.GetRanges())
            .Select(m => decoder.Decode(m.Message.Key, m.Message.Value))
            .Select(s => Cli.Show(s.Features, Assert.Single(s.Label!)));
        Assert.Equal(Cli.HcopdRows().Select(r => Cli.Show(r.Features, r.Label)).Order(), decoded.Order());
    }

    [Fact]
    public async Task The_HCOPD_sample_sends_as_AVRO_with_the_schemas_that_come_with_it()
    {
        var topics = broker.NewTopics();

        using var send = await Cli.SendAsync(
            broker, topics, Cli.HcopdCsv, 11, "--partition", "0", "--format", "avro",
            "--avro-data-schema", Cli.HcopdSchema("data_scheme.avsc"), "--avro-label-schema", Cli.HcopdSchema("label_scheme.avsc"));

        Assert.True(send.ExitCode == 0, send.Transcript);
        var message = Cli.ControlOn(broker, topics.Control).Message;
        Assert.Equal("AVRO", message.InputFormat);
        var decoder = message.CreateDecoder();
        var decoded = broker.ReadRanges(message.GetRanges()).Select(m => decoder.Decode(m.Message.Key, m.Message.Value)).ToList();
        Assert.Equal(Cli.HcopdRows().Select(r => Cli.Show(r.Features, r.Label)), decoded.Select(s => Cli.Show(s.Features, s.Label![0])));
    }

    [Fact]
    public async Task A_non_numeric_cell_fails_naming_its_line_and_column_and_nothing_reaches_either_topic()
    {
        var topics = broker.NewTopics();
        using var csv = TempCsv.With("Diagnosis,Gender,Age,Smoking\n1,1,77,2\n0,0,72,2\n1,1,seventy,3\n0,1,60,1\n");

        using var send = await Cli.SendAsync(broker, topics, csv.Path, 12);

        Assert.NotEqual(0, send.ExitCode);
        var error = send.Stderr();
        Assert.Contains("line 4", error);
        Assert.Contains("column 3 (Age)", error);
        Assert.Contains("'seventy' is not a number", error);
        Assert.Contains("Nothing was sent", error);
        Assert.Equal(0, Cli.HighWatermarkSum(broker, topics.Data));
        Assert.Equal(0, Cli.HighWatermarkSum(broker, topics.Control));
    }
}
