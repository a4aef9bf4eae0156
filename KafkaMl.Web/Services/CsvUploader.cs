using Confluent.Kafka;
using KafkaMl.Core.Formats;
using KafkaMl.Core.Sinks;
using KafkaMl.Core.Streaming;
using KafkaMl.Web.Hosting;

namespace KafkaMl.Web.Services;

/// <summary>Where an uploaded CSV goes: a deployment's data topic (then its control message), or a plain topic in a given format.</summary>
public abstract record CsvUploadTarget
{
    /// <summary>
    /// Training data for a deployment: RAW float32 samples to <see cref="TopicNames.DeploymentData"/> (the <c>send</c>
    /// verb's default, so both paths write to the same place), then the control message naming their ranges; for an
    /// incremental deployment (<paramref name="Online"/>) the online control message first, then the samples, as
    /// Kafka-ML's <c>OnlineRawSink</c> and <c>send --online</c> do.
    /// </summary>
    public sealed record Deployment(int DeploymentId, double ValidationRate = 0.1, double TestRate = 0.1, bool Online = false) : CsvUploadTarget;

    /// <summary>Samples to a topic (e.g. an inference's input) in <paramref name="InputFormat"/>; no control message.</summary>
    public sealed record Topic(string Name, string InputFormat, string? InputConfig) : CsvUploadTarget;
}

public enum CsvUploadPhase { Checking, Sending, Done }

/// <summary>How far an upload has got: <paramref name="Done"/> of <paramref name="Total"/> rows in <paramref name="Phase"/>.</summary>
public readonly record struct CsvUploadProgress(CsvUploadPhase Phase, long Done, long Total);

/// <summary>An upload's end: the count sent and where, or why nothing was sent (a bad cell names its line and column).</summary>
public sealed record CsvUploadOutcome(long Sent, string Topic, string? Ranges, string? Problem)
{
    public bool Succeeded => Problem is null;

    public static CsvUploadOutcome Fail(string topic, string problem) => new(0, topic, null, problem);
}

/// <summary>
/// Streams a CSV file the portal received from the browser to Kafka, on the <c>send</c> verb's path: every row is
/// read (<see cref="CsvSamples"/>) and encoded once before anything is produced, so a bad file sends nothing; then the
/// rows go through a client sink (<see cref="RawSink"/>, which announces the ranges with a control message) for a
/// deployment, or through the portal's producer in the topic's format for a plain topic.
/// </summary>
public sealed partial class CsvUploader(KafkaEndpoint endpoint, KafkaProducerHandle producer, ILogger<CsvUploader> logger)
{
    /// <summary>The largest file the portal accepts from a browser (the <c>send</c> verb has no limit).</summary>
    public const long MaxFileBytes = 256L << 20;

    private const int ProgressEvery = 512;
    private const int ProduceWindow = 1024;


    /// <summary>The CSV's column names (from its header); throws <see cref="CsvSampleException"/> for an empty or one-column file.</summary>
    public static IReadOnlyList<string> Columns(string path)
    {
        using var csv = CsvSamples.Open(path);
        return csv.ColumnNames;
    }

    public async Task<CsvUploadOutcome> SendAsync(
        string path, string fileName, string? label, CsvUploadTarget target, IProgress<CsvUploadProgress>? progress, CancellationToken cancellationToken)
    {
        var topic = target switch
        {
            CsvUploadTarget.Deployment d => TopicNames.DeploymentData(d.DeploymentId),
            CsvUploadTarget.Topic t => t.Name,
            _ => throw new ArgumentOutOfRangeException(nameof(target)),
        };
        if (TopicNames.Problem(topic) is { } topicProblem) return CsvUploadOutcome.Fail(topic, $"Topic '{topic}': {topicProblem}");

        var options = new CsvSampleOptions { Label = string.IsNullOrWhiteSpace(label) ? null : label };
        IDataEncoder encoder;
        try
        {
            encoder = target is CsvUploadTarget.Topic plain
                ? DataFormats.CreateEncoder(plain.InputFormat, plain.InputConfig)
                : new RawEncoder(new RawFormatConfig());
        }
        catch (DataFormatException e)
        {
            return CsvUploadOutcome.Fail(topic, $"The input format does not work: {e.Message} Nothing was sent.");
        }

        // 1. Every row, read and encoded: nothing is produced unless the whole file is good.
        long total;
        try
        {
            total = await Task.Run(() => Check(path, options, encoder, progress, cancellationToken), cancellationToken);
        }
        catch (CsvUploadException e)
        {
            return CsvUploadOutcome.Fail(topic, $"{fileName}: {e.Message} Nothing was sent.");
        }
        if (total == 0) return CsvUploadOutcome.Fail(topic, $"{fileName} has no rows after its header; nothing was sent.");

        // 2. Stream it.
        try
        {
            var outcome = target switch
            {
                CsvUploadTarget.Deployment deployment => await Task.Run(() => SendToDeploymentAsync(path, options, deployment, topic, fileName, total, progress, cancellationToken), cancellationToken),
                _ => await SendToTopicAsync(path, options, encoder, topic, total, progress, cancellationToken),
            };
            progress?.Report(new CsvUploadProgress(CsvUploadPhase.Done, outcome.Sent, total));
            LogUploaded(fileName, outcome.Sent, topic);
            return outcome;
        }
        catch (Exception e) when (e is SinkDeliveryException or KafkaException or CsvSampleException or DataFormatException)
        {
            LogUploadFailed(fileName, topic, e.Message);
            return CsvUploadOutcome.Fail(topic, $"Sending {fileName} to {topic} at {endpoint.BootstrapServers} failed: {e.Message}");
        }
    }

    private static long Check(string path, CsvSampleOptions options, IDataEncoder encoder, IProgress<CsvUploadProgress>? progress, CancellationToken cancellationToken)
    {
        CsvSamples? csv = null;
        try
        {
            csv = CsvSamples.Open(path, options);
            while (csv.MoveNext())
            {
                if (csv.Count % ProgressEvery == 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    progress?.Report(new CsvUploadProgress(CsvUploadPhase.Checking, csv.Count, 0));
                }
                encoder.Encode(csv.Features, csv.Label);
            }
            return csv.Count;
        }
        catch (CsvSampleException e)
        {
            throw new CsvUploadException(e.Message);
        }
        catch (DataFormatException e)
        {
            throw new CsvUploadException($"line {csv?.Line}: {e.Message}");
        }
        finally
        {
            csv?.Dispose();
        }
    }

    /// <summary>The <c>send</c> verb's sink: RAW float32 samples, then the control message naming the ranges written (online: the control message first).</summary>
    private async Task<CsvUploadOutcome> SendToDeploymentAsync(
        string path, CsvSampleOptions options, CsvUploadTarget.Deployment deployment, string topic, string fileName, long total,
        IProgress<CsvUploadProgress>? progress, CancellationToken cancellationToken)
    {
        var sinkOptions = new KafkaSinkOptions
        {
            BootstrapServers = endpoint.BootstrapServers,
            ProducerSettings = KafkaSecurity.ClientSettings(endpoint.Security).ToDictionary(), // a secured cluster's sign-in
            Topic = topic,
            ControlTopic = endpoint.ControlTopic,
            DeploymentId = deployment.DeploymentId,
            Description = fileName,
            ValidationRate = deployment.ValidationRate,
            TestRate = deployment.TestRate,
            Online = deployment.Online,
            Logger = logger,
        };
        if (sinkOptions.Validate() is { Count: > 0 } problems) return CsvUploadOutcome.Fail(topic, string.Join(" ", problems));

        using var sink = new RawSink(sinkOptions);
        using (var csv = CsvSamples.Open(path, options))
        {
            while (csv.MoveNext())
            {
                sink.Send(csv.Features, csv.Label);
                if (csv.Count % ProgressEvery == 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    progress?.Report(new CsvUploadProgress(CsvUploadPhase.Sending, csv.Count, total));
                }
            }
        }
        var result = await sink.CompleteAsync(cancellationToken);
        return new CsvUploadOutcome(result.Messages, topic, result.ControlMessage?.Topic, null);
    }

    /// <summary>Samples to a plain topic through the portal's one producer, a window of messages in flight at a time; no control message.</summary>
    private async Task<CsvUploadOutcome> SendToTopicAsync(
        string path, CsvSampleOptions options, IDataEncoder encoder, string topic, long total,
        IProgress<CsvUploadProgress>? progress, CancellationToken cancellationToken)
    {
        var inFlight = new List<Task<DeliveryResult<byte[], byte[]>>>(ProduceWindow);
        long sent = 0;
        using var csv = CsvSamples.Open(path, options);
        while (csv.MoveNext())
        {
            // Inference input is unlabelled: the label column is left out of the message.
            var message = encoder.Encode(csv.Features, ReadOnlySpan<float>.Empty);
            inFlight.Add(producer.ProduceAsync(topic, new Message<byte[], byte[]> { Key = message.Key!, Value = message.Value }, cancellationToken));
            if (inFlight.Count == ProduceWindow)
            {
                sent += await DeliveredAsync(inFlight);
                progress?.Report(new CsvUploadProgress(CsvUploadPhase.Sending, sent, total));
            }
        }
        sent += await DeliveredAsync(inFlight);
        return new CsvUploadOutcome(sent, topic, null, null);
    }

    private static async Task<int> DeliveredAsync(List<Task<DeliveryResult<byte[], byte[]>>> inFlight)
    {
        try
        {
            await Task.WhenAll(inFlight);
            return inFlight.Count;
        }
        catch (ProduceException<byte[], byte[]> e)
        {
            throw new KafkaException(e.Error);
        }
        finally
        {
            inFlight.Clear();
        }
    }

    [LoggerMessage(LogLevel.Information, "Uploaded {File}: {Count} messages to {Topic}")]
    private partial void LogUploaded(string file, long count, string topic);

    [LoggerMessage(LogLevel.Warning, "Upload of {File} to {Topic} failed: {Reason}")]
    private partial void LogUploadFailed(string file, string topic, string reason);

    /// <summary>The file cannot be sent; the message says where (line and column) when it is one place.</summary>
    private sealed class CsvUploadException(string message) : Exception(message);
}
