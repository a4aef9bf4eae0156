using System.Globalization;
using System.Text;
using KafkaMl.Core.Formats;
using KafkaMl.Core.Sinks;

namespace KafkaMl.Web.Cli;

/// <summary>One run of <c>send</c>: check the file, find Kafka, stream, announce, summarise.</summary>
internal sealed class SendCommand(SendRequest request)
{
    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var csvOptions = request.CsvOptions;
        var fileName = Path.GetFileName(request.CsvPath);

        // 1. The columns, the format, then every row: nothing is sent unless the whole file is good.
        IReadOnlyList<string> featureNames;
        string labelName;
        CsvSampleOptions? unlabelledOptions = null;
        using (var header = OpenCsv(csvOptions))
        {
            featureNames = header.FeatureNames;
            labelName = header.LabelName;
            if (request.UnlabelledPath is not null) unlabelledOptions = SendUnlabelled.Options(request, header);
        }
        var format = SendFormats.For(request, featureNames, labelName);
        var encoder = SendFormats.Encoder(format);
        if (new FileInfo(request.CsvPath).Length > 16 << 20)
            await Console.Error.WriteLineAsync($"Checking every row of {fileName} before sending anything...");
        var labelled = Check(request.CsvPath, csvOptions, encoder, cancellationToken);
        var unlabelled = unlabelledOptions is null ? 0 : Check(request.UnlabelledPath!, unlabelledOptions, encoder, cancellationToken);
        var total = labelled + unlabelled;

        // 2. Where Kafka is.
        var (bootstrap, controlTopic, source, sinkOptions) = await SendKafka.SinkOptionsAsync(request, cancellationToken);

        // 3. Stream, then announce.
        await Console.Error.WriteLineAsync(
            $"Sending {ConsoleProgress.Count(labelled)} samples from {Path.GetFullPath(request.CsvPath)} (label {labelName}; {featureNames.Count} feature{(featureNames.Count == 1 ? "" : "s")}: " +
            $"{string.Join(", ", featureNames)}) to {request.Topic} at {bootstrap} (from {source}) as {SendFormats.Describe(format)}"
            + (unlabelledOptions is null ? "" : $", then {ConsoleProgress.Count(unlabelled)} unlabelled samples from {Path.GetFullPath(request.UnlabelledPath!)} to {request.UnlabelledTopic}"));

        using var loggerFactory = SendKafka.StandardErrorLogging();
        using var sink = SendFormats.Sink(format, sinkOptions with { Logger = loggerFactory.CreateLogger("KafkaMl.Send") });
        var progress = ConsoleProgress.ForStandardError(total, "send");
        using var rendering = new CancellationTokenSource();
        var renderer = progress.RunAsync(() => sink.Progress, rendering.Token);

        SinkResult result;
        var sending = fileName; // named when a file changes under the send
        try
        {
            using (var csv = OpenCsv(csvOptions))
            {
                while (csv.MoveNext())
                {
                    if ((csv.Count & 0xFFF) == 0) cancellationToken.ThrowIfCancellationRequested();
                    sink.Send(csv.Features, csv.Label);
                }
                if (csv.Count != labelled)
                    throw new SendFailure($"{fileName} changed while it was being sent ({labelled} rows when checked, {csv.Count} now); no control message was sent.", SendVerb.Failed);
            }
            if (unlabelledOptions is not null)
            {
                sending = Path.GetFileName(request.UnlabelledPath!);
                using var csv = OpenCsv(request.UnlabelledPath!, unlabelledOptions);
                while (csv.MoveNext())
                {
                    if ((csv.Count & 0xFFF) == 0) cancellationToken.ThrowIfCancellationRequested();
                    sink.SendUnlabelled(csv.Features);
                }
                if (csv.Count != unlabelled)
                    throw new SendFailure($"{sending} changed while it was being sent ({unlabelled} rows when checked, {csv.Count} now); no control message was sent.", SendVerb.Failed);
            }
            result = await sink.CompleteAsync(cancellationToken);
        }
        catch (Exception e) when (e is OperationCanceledException or SinkDeliveryException or CsvSampleException or DataFormatException or SendFailure)
        {
            await rendering.CancelAsync();
            await renderer;
            progress.Abandon();
            throw e switch
            {
                OperationCanceledException => new SendFailure(
                    $"cancelled after {ConsoleProgress.Count(sink.MessagesSent)} of {ConsoleProgress.Count(total)} messages; no control message was sent, so no deployment will train on them.",
                    SendVerb.Cancelled),
                SinkDeliveryException delivery => new SendFailure(delivery.Message, SendVerb.Failed),
                SendFailure failure => failure,
                _ => new SendFailure($"{sending} changed while it was being sent: {e.Message} No control message was sent.", SendVerb.Failed),
            };
        }
        await rendering.CancelAsync();
        await renderer;
        progress.Finish(sink.Progress);

        var control = result.ControlMessage!;
        var summary = new StringBuilder()
            .AppendLine($"messages:    {result.Messages}")
            .AppendLine($"bytes:       {result.Bytes} ({ConsoleProgress.Bytes(result.Bytes)})")
            .AppendLine($"elapsed:     {ConsoleProgress.Seconds(result.Elapsed)}")
            .AppendLine($"rate:        {ConsoleProgress.Count((long)result.MessagesPerSecond)} msg/s")
            .AppendLine($"ranges:      {control.Topic}")
            .AppendLine($"deployment:  {request.DeploymentId}")
            .Append($"control:     {control.InputFormat} on {controlTopic}, total_msg {control.TotalMsg}, ")
            .AppendLine($"validation_rate {Show(control.ValidationRate)}, test_rate {Show(control.TestRate)}")
            .Append(SendUnlabelled.Summary(result, control));
        await Console.Out.WriteAsync(summary.ToString());
        await Console.Out.FlushAsync(CancellationToken.None);
        return 0;
    }

    // ---- the file ----

    private CsvSamples OpenCsv(CsvSampleOptions options) => OpenCsv(request.CsvPath, options);

    /// <summary>The request's CSV file, opened; a readable <see cref="SendFailure"/> when it cannot be.</summary>
    internal static CsvSamples OpenCsv(SendRequest request, CsvSampleOptions options) => OpenCsv(request.CsvPath, options);

    /// <summary>A CSV file to send, opened; a readable <see cref="SendFailure"/> when it cannot be.</summary>
    internal static CsvSamples OpenCsv(string path, CsvSampleOptions options)
    {
        try
        {
            return CsvSamples.Open(path, options);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new SendFailure($"the CSV file '{path}' does not exist.", SendVerb.BadInput);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SendFailure($"the CSV file '{path}' cannot be read: {e.Message}", SendVerb.BadInput);
        }
        catch (CsvSampleException e)
        {
            throw new SendFailure($"{Path.GetFileName(path)}: {e.Message} Nothing was sent.", SendVerb.BadInput);
        }
    }

    /// <summary>Reads and encodes every row of <paramref name="path"/> once, without sending; returns the number of samples.</summary>
    private long Check(string path, CsvSampleOptions options, IDataEncoder encoder, CancellationToken cancellationToken)
    {
        var fileName = Path.GetFileName(path);
        using var csv = OpenCsv(path, options);
        try
        {
            while (csv.MoveNext())
            {
                if ((csv.Count & 0xFFF) == 0) cancellationToken.ThrowIfCancellationRequested();
                encoder.Encode(csv.Features, csv.Label);
            }
        }
        catch (CsvSampleException e)
        {
            throw new SendFailure($"{fileName}: {e.Message} Nothing was sent.", SendVerb.BadInput);
        }
        catch (DataFormatException e)
        {
            throw new SendFailure($"{fileName}: line {csv.Line}: {e.Message} Nothing was sent.", SendVerb.BadInput);
        }
        catch (OperationCanceledException)
        {
            throw new SendFailure("cancelled while checking the file; nothing was sent.", SendVerb.Cancelled);
        }
        return csv.Count > 0
            ? csv.Count
            : throw new SendFailure($"{fileName} has no rows{(request.HasHeader ? " after its header" : "")}; nothing was sent.", SendVerb.BadInput);
    }

    private static string Show(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);
}
