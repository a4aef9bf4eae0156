namespace KafkaMl.Tests.Cli;

/// <summary>Runs the real executable's verbs and inspects what they wrote.</summary>
internal static class Cli
{
    /// <summary>An address where no broker listens, for runs that must fail before sending.</summary>
    public const string NoBroker = "127.0.0.1:1";

    public static string HcopdCsv => Path.Combine(KafkaMlProcess.RepoRoot, "samples", "hcopd", "hcopd.csv");

    public static string HcopdSchema(string name) => Path.Combine(KafkaMlProcess.RepoRoot, "samples", "hcopd", name);

    /// <summary>Runs <c>KafkaMl.Web args</c> to its end.</summary>
    public static async Task<KafkaMlProcess> RunAsync(params string[] args)
    {
        var process = KafkaMlProcess.Start(args);
        try
        {
            await process.WaitForExitAsync(Eventually.Patience);
            return process;
        }
        catch
        {
            process.Dispose();
            throw;
        }
    }

    /// <summary>Runs <c>send</c> of <paramref name="csv"/> (label Diagnosis) for <paramref name="deployment"/> to <paramref name="broker"/>'s <paramref name="topics"/>.</summary>
    public static Task<KafkaMlProcess> SendAsync(
        BrokerFixture broker, (string Data, string Control) topics, string csv, int deployment, params string[] options) =>
        RunAsync([
            "send", csv, "--deployment", deployment.ToString(System.Globalization.CultureInfo.InvariantCulture), "--label", "Diagnosis", .. options,
            "--bootstrap-servers", broker.BootstrapServers, "--topic", topics.Data, "--control-topic", topics.Control]);

    /// <summary>The one control message on <paramref name="topic"/>.</summary>
    public static ReceivedControlMessage ControlOn(BrokerFixture broker, string topic)
    {
        var control = Assert.Single(broker.ReadAll(topic));
        return ControlMessage.Read(control.Message.Key, control.Message.Value);
    }

    public static string Stdout(this KafkaMlProcess process) => string.Join('\n', process.StdoutLines);

    public static string Stderr(this KafkaMlProcess process) => string.Join('\n', process.StderrLines);

    /// <summary>The value of a <c>name: value</c> summary line on stdout.</summary>
    public static string SummaryValue(this KafkaMlProcess process, string name) =>
        process.StdoutLines.Single(l => l.StartsWith(name + ":", StringComparison.Ordinal))[(name.Length + 1)..].Trim();

    /// <summary>The sum of the high watermarks of every partition of <paramref name="topic"/>: how many messages it ever received.</summary>
    public static long HighWatermarkSum(BrokerFixture broker, string topic) => broker.HighWatermarkSum(topic);

    /// <summary>The HCOPD rows as the test reads them, independently of the code under test: (Gender, Age, Smoking) and Diagnosis.</summary>
    public static IReadOnlyList<(float[] Features, float Label)> HcopdRows() =>
        [.. File.ReadLines(HcopdCsv).Skip(1).Where(l => l.Length > 0).Select(line =>
        {
            var cells = line.Split(',').Select(c => float.Parse(c, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
            return (cells[1..], cells[0]);
        })];

    /// <summary>A comparable text of a sample, to compare multisets of samples.</summary>
    public static string Show(float[] features, float label) =>
        string.Join(' ', features.Select(f => f.ToString("R", System.Globalization.CultureInfo.InvariantCulture))) + " -> " +
        label.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
}
