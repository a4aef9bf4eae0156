using System.Text;
using Confluent.Kafka;
using KafkaMl.Core.Control;
using KafkaMl.Core.Streaming;

namespace KafkaMl.Core.Federated;

/// <summary>
/// The <c>federated-agent</c> of one site: records the site's datasets from its own broker's
/// <see cref="FederatedTopics.DataControl"/>, follows the model announcements on the cloud's
/// <see cref="FederatedTopics.ModelControl"/>, and runs one <see cref="SiteWorker"/> per open announcement that one of
/// its datasets matches (<see cref="DatasetMatcher"/>; a dataset that does not match is logged once with the reason).
/// Each worker is a child process (<see cref="SiteWorkerSupervisor"/>), restarted when it dies before its model is done;
/// a closed announcement stops its worker. Both topics are read from their beginning: a restarted agent rejoins.
/// </summary>
public sealed class SiteAgent(SiteOptions options, IProgress<string> log)
{
    private readonly Dictionary<string, SiteDataset> _datasets = new(StringComparer.Ordinal);
    private readonly Dictionary<int, ModelAnnouncement> _models = [];
    private readonly HashSet<string> _explained = new(StringComparer.Ordinal);
    private readonly HashSet<string> _waiting = new(StringComparer.Ordinal);

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        await using var workers = new SiteWorkerSupervisor(options, log);
        using var data = Consumer(options.DataBootstrapServers, FederatedTopics.DataControl);
        using var models = Consumer(options.CloudBootstrapServers, FederatedTopics.ModelControl);
        log.Report($"site '{options.Site}': reading datasets from {options.DataBootstrapServers} and models from {options.CloudBootstrapServers}");
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var changed = await Task.Run(() => Poll(data, ReadDataset) | Poll(models, ReadModel), cancellationToken);
                if (changed) Reconcile(workers);
                workers.Supervise();
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            data.Close();
            models.Close();
        }
    }

    private IConsumer<byte[], byte[]> Consumer(string servers, string topic)
    {
        var config = KafkaClientConfig.Consumer(servers, $"kafkaml-site-{options.Site}-{Guid.NewGuid():N}", $"kafkaml-site-{options.Site}", settings: options.KafkaSettings);
        config.EnableAutoCommit = false;
        config.TopicMetadataRefreshIntervalMs = FederatedTopics.MetadataRefreshMs;
        var consumer = new ConsumerBuilder<byte[], byte[]>(config).SetLogHandler((_, l) => KafkaClientConfig.Log(options.KafkaLogger, l)).Build();
        consumer.Subscribe(topic);
        return consumer;
    }

    private bool Poll(IConsumer<byte[], byte[]> consumer, Func<ConsumeResult<byte[], byte[]>, bool> read)
    {
        var changed = false;
        try
        {
            for (var result = consumer.Consume(TimeSpan.FromMilliseconds(250)); result is not null; result = consumer.Consume(TimeSpan.Zero))
                if (!result.IsPartitionEOF) changed |= read(result);
        }
        catch (ConsumeException e) when (!e.Error.IsFatal)
        {
            // A topic nobody created yet (no model announced, no dataset): it is picked up once it exists.
            if (_waiting.Add(e.Error.Reason)) log.Report($"waiting: {e.Error.Reason}");
        }
        return changed;
    }

    private bool ReadDataset(ConsumeResult<byte[], byte[]> result)
    {
        var key = result.Message.Key is { Length: > 0 } bytes ? DatasetKey(bytes) : $"{result.Partition.Value}@{result.Offset.Value}";
        try
        {
            var dataset = SiteDataset.Read(key, result.Message.Value ?? []);
            // Kafka-ML's sinks key every dataset by their deployment id: the data it points at tells datasets apart.
            _datasets[dataset.Control.Topic] = dataset;
            log.Report($"dataset '{key}' recorded: {dataset.Control.Topic} ({(dataset.Samples is { } n ? $"{n} samples" : "an open stream")}), restrictions {dataset.Restrictions.ToJsonString()}");
            return true;
        }
        catch (ControlMessageException e)
        {
            log.Report($"dataset message at {result.TopicPartitionOffset} ignored: {e.Message}");
            return false;
        }
    }

    private bool ReadModel(ConsumeResult<byte[], byte[]> result)
    {
        try
        {
            var model = ModelAnnouncement.Parse(result.Message.Value ?? []);
            _models[model.ResultId] = model;
            return true;
        }
        catch (InvalidDataException e)
        {
            log.Report($"model announcement at {result.TopicPartitionOffset} ignored: {e.Message}");
            return false;
        }
    }

    /// <summary>Starts a worker for each open model a dataset matches; stops those whose model closed.</summary>
    private void Reconcile(SiteWorkerSupervisor workers)
    {
        foreach (var model in _models.Values)
        {
            if (!model.IsOpen) workers.Close(model.ResultId);
            if (!model.IsOpen || workers.Has(model.ResultId)) continue;
            SiteDataset? match = null;
            foreach (var dataset in _datasets.Values)
            {
                // Every dataset is checked, so each one that does not fit says why even when another one matches.
                if (DatasetMatcher.Mismatch(model, dataset) is not { } why) match ??= dataset;
                else if (_explained.Add($"{model.ResultId}/{dataset.Key}/{dataset.Control.Topic}")) log.Report($"not taking part: {why}");
            }
            if (match is null) continue;
            log.Report($"dataset '{match.Key}' matches the model of result {model.ResultId} ('{model.ModelName}'): starting its worker");
            workers.Add(model, match);
        }
    }

    /// <summary>Kafka-ML keys datasets by one raw byte; KafkaMl's sinks by text.</summary>
    private static string DatasetKey(byte[] key) =>
        DeploymentKey.TryDecode(key, out var id, out _) ? id.ToString(System.Globalization.CultureInfo.InvariantCulture) : Encoding.UTF8.GetString(key);
}
