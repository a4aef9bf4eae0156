namespace KafkaMl.Tests.Cli;

/// <summary>
/// <c>send</c> refusing what it cannot do, before it connects to anything (the broker address given
/// has no broker, so nothing could be sent even by mistake).
/// </summary>
public sealed class SendVerbUsageSpecs
{
    [Theory]
    [InlineData("unknown format 'xml'; use raw, avro or json", "--format", "xml")]
    [InlineData("The label column 'Weight' is not in the header; the columns are Diagnosis, Gender, Age, Smoking", "--label", "Weight")]
    [InlineData("The feature column 'Height' is not in the header", "--features", "Age,Height")]
    [InlineData("The label column index 9 is out of range", "--label", "9")]
    [InlineData("--validation-rate 1.5 is outside [0, 1)", "--validation-rate", "1.5")]
    [InlineData("--test-rate -0.1 is outside [0, 1)", "--test-rate", "-0.1")]
    [InlineData("leaves nothing to train on", "--validation-rate", "0.6", "--test-rate", "0.4")]
    [InlineData("--label-type 'int99' is not a known data type", "--label-type", "int99")]
    [InlineData("unknown option '--colour'", "--colour", "blue")]
    [InlineData("-X takes a librdkafka setting as key=value, not 'linger.ms'", "-X", "linger.ms")]
    [InlineData("-X: No such configuration property: \"no.such\"", "-X", "no.such=1")]
    [InlineData("--rate 0 must be a positive number of messages per second", "--online", "--rate", "0")]
    public async Task A_bad_option_exits_2_with_a_message_naming_it(string expected, params string[] options)
    {
        using var send = await Cli.RunAsync(["send", Cli.HcopdCsv, "--deployment", "1", "--bootstrap-servers", Cli.NoBroker, .. options]);

        Assert.True(send.ExitCode == 2, send.Transcript);
        Assert.Contains(expected, send.Stderr());
        Assert.Empty(send.StdoutLines);
    }

    [Fact]
    public async Task Without_a_deployment_id_send_exits_2_asking_for_one()
    {
        using var send = await Cli.RunAsync("send", Cli.HcopdCsv, "--bootstrap-servers", Cli.NoBroker);

        Assert.Equal(2, send.ExitCode);
        Assert.Contains("--deployment is required", send.Stderr());
    }

    [Theory]
    [InlineData("", "The CSV file is empty")]
    [InlineData("label,a,b\n", "has no rows after its header; nothing was sent")]
    public async Task A_file_without_rows_exits_2_saying_so(string content, string expected)
    {
        using var csv = TempCsv.With(content);

        using var send = await Cli.RunAsync("send", csv.Path, "--deployment", "1", "--bootstrap-servers", Cli.NoBroker);

        Assert.Equal(2, send.ExitCode);
        Assert.Contains(expected, send.Stderr());
    }

    [Fact]
    public async Task A_missing_file_exits_2_naming_it()
    {
        using var send = await Cli.RunAsync("send", "/nonexistent/data.csv", "--deployment", "1", "--bootstrap-servers", Cli.NoBroker);

        Assert.Equal(2, send.ExitCode);
        Assert.Contains("'/nonexistent/data.csv' does not exist", send.Stderr());
    }

    [Fact]
    public async Task A_value_the_label_type_cannot_hold_fails_naming_the_line_before_anything_is_sent()
    {
        using var csv = TempCsv.With("label,a\n1,0.5\n300,0.25\n");

        using var send = await Cli.RunAsync("send", csv.Path, "--deployment", "1", "--label-type", "uint8", "--bootstrap-servers", Cli.NoBroker);

        Assert.Equal(2, send.ExitCode);
        Assert.Contains("line 3:", send.Stderr());
        Assert.Contains("Nothing was sent", send.Stderr());
    }

    [Fact]
    public async Task Without_bootstrap_servers_and_with_no_portal_answering_send_says_so_and_suggests_the_option()
    {
        using var send = await Cli.RunAsync("send", Cli.HcopdCsv, "--deployment", "1", "--portal", "http://127.0.0.1:1");

        Assert.Equal(1, send.ExitCode);
        Assert.Contains("could not reach the KafkaMl portal at http://127.0.0.1:1/", send.Stderr());
        Assert.Contains("--bootstrap-servers HOST:PORT", send.Stderr());
    }

    [Fact]
    public async Task Help_prints_the_usage_and_exits_0()
    {
        using var send = await Cli.RunAsync("send", "--help");

        Assert.Equal(0, send.ExitCode);
        Assert.Contains("usage: KafkaMl.Web send <csv> --deployment ID [options]", send.Stdout());
    }
}
