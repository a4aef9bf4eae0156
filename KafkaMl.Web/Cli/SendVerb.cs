namespace KafkaMl.Web.Cli;

/// <summary>
/// <c>send &lt;csv&gt;</c>: streams a CSV file to a data topic with a client sink, then sends the
/// control message that points a deployment at it. The whole file is checked first (every cell a
/// number, every row encodable in the chosen format), so a bad file sends nothing at all. Progress
/// goes to stderr; stdout carries only the final summary.
/// </summary>
/// <remarks>Exit codes: 0 sent; 1 Kafka or the portal failed; 2 bad options or a bad file (nothing sent); 130 cancelled.</remarks>
public static class SendVerb
{
    public const int Failed = 1;
    public const int BadInput = 2;
    public const int Cancelled = 130;

    public const string Usage =
        """
        usage: KafkaMl.Web send <csv> --deployment ID [options]
               KafkaMl.Web send <csv>|--data - --online --deployment ID [--rate N] [options]
          Streams the rows of a CSV file to a data topic, then sends the control message that makes
          deployment ID train on them. The file is checked completely first: a bad cell sends nothing.
          With --online (an incremental deployment), the control message goes first, as Kafka-ML's
          OnlineRawSink sends it (bare topic, total_msg null, incremental true), then the rows follow.

          --deployment ID          deployment that trains on the data (required)
          --label COLUMN           label column: header name or 0-based index (default: the first column)
          --features A,B,C         feature columns in order: names or 0-based indexes (default: all others)
          --format raw|avro|json   message format (default raw)
          --data-type TYPE         raw: feature type (default float32)
          --label-type TYPE        raw: label type (default float32; e.g. int64 for class indexes)
                                   types: half, float16, float, float32, double, float64, int8, uint8,
                                   int16, uint16, int32, int64, bool
          --data-reshape "D1 D2"   raw: shape of each sample's features (default flat)
          --avro-data-schema FILE  avro: schema of the features (.avsc)
          --avro-label-schema FILE avro: schema of the label (.avsc); without both schema files, each
                                   is a record of float fields named after the columns
          --topic NAME             data topic (default kafkaml-data-<deployment>)
          --partition N            write every message to partition N (keeps the file's order)
          --validation-rate R      share kept for validation, in [0, 1) (default 0.1)
          --test-rate R            share kept for testing, in [0, 1) (default 0.1)
          --description TEXT       description carried in the control message (default: the file name)
          --bootstrap-servers H:P  Kafka to send to (default: KafkaMl__Kafka__BootstrapServers, else ask the portal)
          --portal URL             running portal to ask for its Kafka (default http://localhost:5080)
          --control-topic NAME     control topic (default: the portal's, else KAFKA_ML_CONTROL_TOPIC)
          --has-header|--no-header whether the first line names the columns (default: it does)
          --delimiter C            field separator: one character, or 'tab' (default ',')
          -X KEY=VALUE             librdkafka producer setting, repeatable (e.g. -X security.protocol=SSL)
          --online                 an online stream: control message first, then the data, no end
          --data PATH|-            the CSV (instead of the argument); - reads standard input until it
                                   closes or Ctrl+C (needs --online; a bad row is reported and skipped)
          --rate N                 pace the stream at N messages per second (default: as fast as possible)
          --unlabelled FILE        semi-supervised: a CSV of unlabelled rows laid out like the labelled one,
                                   with or without the label column (with a header, the feature columns are
                                   found by name); each row goes to the unsupervised topic with key one byte 0,
                                   after the labelled rows. The control message's unsupervised_topic names
                                   their ranges; with --online it names the bare topic, and the labelled rows
                                   are announced by their ranges before the unlabelled ones are streamed
          --unlabelled-topic NAME  the unsupervised topic (default <topic>-unlabelled)

        example:
          KafkaMl.Web send samples/hcopd/hcopd.csv --deployment 1 --label Diagnosis
          KafkaMl.Web send samples/hcopd/hcopd.csv --deployment 2 --label Diagnosis --online --rate 50
          KafkaMl.Web send labelled.csv --deployment 3 --label Diagnosis --unlabelled unlabelled.csv
        exit codes: 0 sent, 1 Kafka/portal failure, 2 bad options or file (nothing sent), 130 cancelled
        """;

    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var commandLine = await CliOptions.ReadVerbAsync(
            args, SendRequest.Valued, SendRequest.Flags, SendRequest.From, "send", Usage, "run 'KafkaMl.Web send --help' for the options");
        if (commandLine.Request is not { } request) return commandLine.ExitCode ?? BadInput;

        try
        {
            return request.Online
                ? await new SendOnlineCommand(request).RunAsync(cancellationToken)
                : await new SendCommand(request).RunAsync(cancellationToken);
        }
        catch (SendFailure e)
        {
            await Console.Error.WriteLineAsync($"send: {e.Message}");
            return e.ExitCode;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync("send: cancelled before anything was sent.");
            return Cancelled;
        }
    }
}

/// <summary>The reason <c>send</c> stops, with its exit code.</summary>
internal sealed class SendFailure(string message, int exitCode) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
