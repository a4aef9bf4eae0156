using System.Diagnostics;
using System.Globalization;
using System.Text;
using KafkaMl.Core.Formats;
using KafkaMl.Core.Sinks;

namespace KafkaMl.Web.Cli;

/// <summary>
/// One run of <c>send --online</c>: an open stream for an incremental deployment, as Kafka-ML's OnlineRawSink sends
/// it. The control message goes first (a bare topic, <c>total_msg</c> null, <c>incremental: true</c>, keyed by the
/// deployment id as one raw byte: <see cref="KafkaSinkOptions.Online"/>), then every row as it is read, paced at
/// <see cref="SendRequest.MessagesPerSecond"/> messages per second when given. A file ends the stream at its end; standard input
/// (<c>--data -</c>) when it closes. Ctrl+C stops it after flushing what was sent (exit 0: an open stream has no
/// other end). A row that cannot be read or encoded is reported and skipped: the stream goes on.
/// <para>With <c>--unlabelled FILE</c> (a semi-supervised deployment) the labelled rows go first and are measured: the
/// control message names their ranges and total with <c>incremental: true</c> and the bare unsupervised topic, and goes
/// before the first unlabelled row; then the unlabelled rows follow, paced the same way.</para>
/// </summary>
internal sealed class SendOnlineCommand(SendRequest request)
{
    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        using var csv = Open();
        var unlabelledOptions = request.UnlabelledPath is null ? null : SendUnlabelled.Options(request, csv);
        var format = SendFormats.For(request, csv.FeatureNames, csv.LabelName);
        var (bootstrap, controlTopic, source, sinkOptions) = await SendKafka.SinkOptionsAsync(request, cancellationToken);
        var from = request.FromStandardInput ? "standard input" : Path.GetFullPath(request.CsvPath);
        await Console.Error.WriteLineAsync(
            $"Streaming rows from {from} (label {csv.LabelName}; features {string.Join(", ", csv.FeatureNames)}) online to {request.Topic} at {bootstrap} (from {source}) as {SendFormats.Describe(format)}"
            + (request.MessagesPerSecond is { } rate ? FormattableString.Invariant($", {rate:0.###} msg/s") : "") + "; Ctrl+C stops.");

        using var loggerFactory = SendKafka.StandardErrorLogging();
        using var sink = SendFormats.Sink(format, sinkOptions with { Logger = loggerFactory.CreateLogger("KafkaMl.Send") });
        try
        {
            await sink.StartAsync(cancellationToken); // the control message, before any data (after the labelled part with --unlabelled)
        }
        catch (OperationCanceledException)
        {
            throw new SendFailure("cancelled before the control message was sent; nothing was sent.", SendVerb.Cancelled);
        }
        catch (SinkDeliveryException e)
        {
            throw new SendFailure(e.Message, SendVerb.Failed);
        }

        var skipped = await StreamAsync(csv, request.FromStandardInput, c => sink.Send(c.Features, c.Label), cancellationToken);
        if (unlabelledOptions is not null && !cancellationToken.IsCancellationRequested)
        {
            using var unlabelled = SendCommand.OpenCsv(request.UnlabelledPath!, unlabelledOptions);
            try
            {
                skipped += await StreamAsync(unlabelled, fromStandardInput: false, c => sink.SendUnlabelled(c.Features), cancellationToken);
            }
            catch (InvalidOperationException e)
            {
                throw new SendFailure(e.Message, SendVerb.BadInput); // no labelled row was sent before the unlabelled ones
            }
        }
        SinkResult result;
        try
        {
            result = await sink.CompleteAsync(CancellationToken.None); // flushes what was sent, even after Ctrl+C
        }
        catch (SinkDeliveryException e)
        {
            throw new SendFailure(e.Message, SendVerb.Failed);
        }

        var control = result.ControlMessage!;
        var summary = new StringBuilder()
            .AppendLine($"messages:    {result.Messages}")
            .AppendLine($"skipped:     {skipped}")
            .AppendLine($"bytes:       {result.Bytes} ({ConsoleProgress.Bytes(result.Bytes)})")
            .AppendLine($"elapsed:     {ConsoleProgress.Seconds(result.Elapsed)}")
            .AppendLine($"rate:        {ConsoleProgress.Count((long)result.MessagesPerSecond)} msg/s")
            .AppendLine($"topic:       {control.Topic}{(control.IsOpenStream ? " (online)" : "")}")
            .AppendLine($"deployment:  {request.DeploymentId}")
            .AppendLine(CultureInfo.InvariantCulture, $"control:     {control.InputFormat} on {controlTopic}, total_msg {control.TotalMsg?.ToString(CultureInfo.InvariantCulture) ?? "null"}, incremental true, validation_rate {control.ValidationRate:0.###}, test_rate {control.TestRate:0.###}")
            .Append(SendUnlabelled.Summary(result, control));
        await Console.Out.WriteAsync(summary.ToString());
        await Console.Out.FlushAsync(CancellationToken.None);
        return 0;
    }

    private CsvSamples Open()
    {
        if (!request.FromStandardInput) return SendCommand.OpenCsv(request, request.CsvOptions);
        try
        {
            return new CsvSamples(Console.In, request.CsvOptions, leaveOpen: true);
        }
        catch (CsvSampleException e)
        {
            throw new SendFailure($"standard input: {e.Message} Nothing was sent.", SendVerb.BadInput);
        }
    }

    /// <summary>Sends every row with <paramref name="send"/> until the input ends or Ctrl+C; returns the rows skipped.</summary>
    private async Task<long> StreamAsync(CsvSamples csv, bool fromStandardInput, Action<CsvSamples> send, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        long sent = 0, skipped = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                // Standard input blocks until a line comes: read it off the caller's thread.
                if (!(fromStandardInput ? await Task.Run(csv.MoveNext, CancellationToken.None) : csv.MoveNext())) break;
                send(csv);
                sent++;
            }
            catch (Exception e) when (e is CsvSampleException or DataFormatException)
            {
                skipped++;
                await Console.Error.WriteLineAsync($"send: skipped a row: {e.Message}");
                continue;
            }
            catch (SinkDeliveryException e)
            {
                throw new SendFailure($"{e.Message} {sent} rows were sent before it.", SendVerb.Failed);
            }
            if (request.MessagesPerSecond is { } rate && TimeSpan.FromSeconds(sent / rate) - clock.Elapsed is { } ahead && ahead > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(ahead, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }
        return skipped;
    }
}
