namespace KafkaMl.Tests.Cli;

/// <summary>
/// <c>KafkaMl.Web send --online</c> as a real child process against the embedded broker: Kafka-ML's OnlineRawSink
/// protocol, one control message first (bare topic, total_msg null, incremental, key = the deployment id as one raw
/// byte), then the data.
/// </summary>
[Collection(CliBrokerCollection.Name)]
public sealed class SendOnlineVerbSpecs(BrokerFixture broker)
{
    [Fact]
    public async Task An_online_send_announces_an_open_stream_first_and_then_sends_every_row_paced()
    {
        var topics = broker.NewTopics(dataPartitions: 1);

        using var send = await Cli.SendAsync(broker, topics, Cli.HcopdCsv, 21, "--online", "--rate", "500");

        Assert.True(send.ExitCode == 0, send.Transcript);
        var control = Assert.Single(broker.ReadAll(topics.Control));
        Assert.Equal([(byte)21], control.Message.Key!);
        var message = ControlMessage.Read(control.Message.Key, control.Message.Value).Message;
        Assert.Equal(topics.Data, message.Topic);
        Assert.True(message.Incremental);
        Assert.Null(message.TotalMsg);
        Assert.True(message.IsOpenStream);
        var data = broker.ReadAll(topics.Data);
        Assert.True(data[0].Message.Timestamp.UnixTimestampMs >= control.Message.Timestamp.UnixTimestampMs, "the control message goes first");
        var decoder = message.CreateDecoder();
        Assert.Equal(Cli.HcopdRows().Select(r => Cli.Show(r.Features, r.Label)),
            data.Select(m => decoder.Decode(m.Message.Key, m.Message.Value)).Select(s => Cli.Show(s.Features, Assert.Single(s.Label!))));
        Assert.Equal("239", send.SummaryValue("messages"));
        Assert.Equal($"{topics.Data} (online)", send.SummaryValue("topic"));
    }

    [Fact]
    public async Task Standard_input_streams_rows_as_they_come_until_it_closes_skipping_a_bad_row()
    {
        var topics = broker.NewTopics(dataPartitions: 1);
        using var send = KafkaMlProcess.Start([
            "send", "--data", "-", "--online", "--deployment", "22", "--label", "Diagnosis",
            "--bootstrap-servers", broker.BootstrapServers, "--topic", topics.Data, "--control-topic", topics.Control]);
        var rows = File.ReadLines(Cli.HcopdCsv).Take(6).ToList(); // the header and 5 rows

        foreach (var line in rows) await send.StandardInput.WriteLineAsync(line);
        await send.StandardInput.FlushAsync();
        await Eventually.Until(() => broker.HighWatermarkSum(topics.Data) == 5, $"the first 5 rows sent while the input is still open\n{send.Transcript}");
        await send.StandardInput.WriteLineAsync("1,2,not-a-number,0");
        foreach (var line in File.ReadLines(Cli.HcopdCsv).Skip(6).Take(2)) await send.StandardInput.WriteLineAsync(line);
        send.StandardInput.Close();
        await send.WaitForExitAsync(Eventually.Patience);

        Assert.True(send.ExitCode == 0, send.Transcript);
        Assert.Equal(7, broker.HighWatermarkSum(topics.Data));
        Assert.Equal("1", send.SummaryValue("skipped"));
        Assert.Contains("send: skipped a row: line 7", send.Stderr());
        var control = Assert.Single(broker.ReadAll(topics.Control));
        Assert.True(ControlMessage.Read(control.Message.Key, control.Message.Value).Message.IsOpenStream);
    }

    [Fact]
    public async Task Standard_input_without_online_is_refused_because_it_has_no_end()
    {
        using var send = await Cli.RunAsync(["send", "--data", "-", "--deployment", "1", "--bootstrap-servers", Cli.NoBroker]);

        Assert.True(send.ExitCode == 2, send.Transcript);
        Assert.Contains("--data - (standard input) has no end, so it needs --online", send.Stderr());
    }
}
