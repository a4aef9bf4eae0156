using System.Globalization;

namespace KafkaMl.Tests.EndToEnd;

/// <summary>
/// Issue 15's first "must hold": an inference following the latest version of an indefinite incremental training swaps
/// from version 1 to the later ones while a stream of inputs goes on, answering each input exactly once.
/// </summary>
public sealed partial class IncrementalPipelineSpecs
{
    /// <summary>Samples per window: HCOPD's 239 rows are sent in chunks of 1 window, 3 windows and the rest (3 and a partial one).</summary>
    private const int Window = 32;

    private const int InputPartitions = 2;

    /// <summary>The inference inputs' pace: a steady stream that goes on through every swap.</summary>
    private static readonly TimeSpan InputPace = TimeSpan.FromMilliseconds(50);

    /// <remarks>
    /// Why at least two versions come every time: the windows are the same in every run (one partition, a fixed order,
    /// chunks that end where windows do but for the stream's last, partial window), and so is their training (seeded
    /// initialisation, split, shuffles and dropout; one torch thread), so the windows' training losses are the same
    /// sequence in every run (the test writes it out): the first window, trained from random weights, ends at 0.58,
    /// the second at 0.29, so version 2 comes from the first window of chunk 2 with 0.27 to spare over the 0.02
    /// improvement asked for. Why the swap must happen for the test to pass: the inference starts while version 1 is
    /// the only one, both its input partitions are answered by version 1 before the training data that makes the later
    /// versions is sent, both end answered by the latest version, and the replicas are the same processes throughout.
    /// </remarks>
    [LinuxFact]
    public async Task An_inference_following_the_latest_version_swaps_from_version_1_to_later_ones_answering_every_input_exactly_once_and_stop_keeps_the_versions()
    {
        var deployment = await DeployAsync($"follow-{Guid.NewGuid():N}", windowSize: Window, improvement: 0.02);
        var resultId = deployment.Results[0].Id;
        var rows = ShuffledHcopdRows();
        using var stream = new KafkaMlOnlineStream(portal.BootstrapServers, $"e2e-follow-{Guid.NewGuid():N}");
        await stream.AnnounceAsync(portal.ControlTopic, deployment.Id, validationRate: 0.1);

        await stream.SendAsync(rows.Take(Window)); // chunk 1, one window: version 1 and nothing more
        await Eventually.Until(() => VersionsAsync(resultId), v => v.Count > 0, "version 1 to be published");
        var id = Guid.NewGuid().ToString("N")[..10];
        var inference = await portal.PostAsync<InferenceResponse>("/api/inferences", new
        {
            resultId,
            replicas = 2,
            partitions = InputPartitions,
            inputTopic = $"follow-in-{id}",
            outputTopic = $"follow-out-{id}",
            version = "latest",
        });
        try
        {
            var running = await Eventually.Until(() => portal.GetAsync<InferenceResponse>($"/api/inferences/{inference.Id}"),
                i => i.Status == InferenceStatus.Running && i.Stats.Replicas.Count == 2 && i.Stats.Replicas.All(r => r.Partitions?.Count == 1),
                i => $"inference {i.Id} running, each of its 2 replicas holding one partition (now {JsonSerializer.Serialize(i, PortalProcessFixture.Json)})");
            Assert.Equal(1, running.ServedVersion);
            var replicaPids = ReplicaPids(inference.Id);
            using var predictions = new PredictionCollector(portal.BootstrapServers, inference.OutputTopic);
            using var stopInputs = new CancellationTokenSource();
            var inputs = Task.Run(() => StreamInputsAsync(inference.InputTopic, rows, stopInputs.Token));
            await predictions.UntilAsync(r => AllPartitionsAnswered(r, 1), "predictions of version 1 on every input partition");
            Assert.Equal([1], (await VersionsAsync(resultId)).Select(v => v.Version));

            await stream.SendAsync(rows.Skip(Window).Take(3 * Window)); // chunk 2, then a pause until it is trained on
            await Eventually.Until(async () => await SamplesSeenAsync(resultId), seen => seen == 4 * Window, seen => $"{4 * Window} samples trained on (saw {seen})");
            await stream.SendAsync(rows.Skip(4 * Window)); // chunk 3
            await Eventually.Until(async () => await SamplesSeenAsync(resultId), seen => seen == rows.Count, seen => $"{rows.Count} samples trained on (saw {seen})");
            var versions = await VersionsAsync(resultId); // final: no window after the third improves on it (the losses below)
            await DescribeWindowsAsync(resultId, versions);
            Assert.True(versions.Count >= 2, $"versions published: {versions.Count}");
            Assert.Equal(Window, versions[0].SamplesSeen); // version 1 is the first window's model
            var latest = versions[^1].Version;
            await predictions.UntilAsync(r => AllPartitionsAnswered(r, latest), $"predictions of version {latest} on every input partition");
            await stopInputs.CancelAsync();
            var sent = await inputs;
            await predictions.UntilAsync(r => r.Select(p => p.Key).Distinct().Count() == sent, $"an answer to each of the {sent} inputs");
            var onTopic = predictions.MessagesOnTopic();
            var received = await predictions.UntilAsync(r => r.Count >= onTopic, $"all {onTopic} predictions on the output topic to be read");

            Assert.Equal(Enumerable.Range(0, sent).Select(InputKey).Order(), received.Select(r => r.Key).Order()); // each input answered, none twice
            Assert.All(received, r => Assert.NotNull(r.Prediction.ModelVersion));
            foreach (var partition in received.GroupBy(r => r.Prediction.Partition))
            {
                var served = partition.OrderBy(r => r.Prediction.Offset).Select(r => r.Prediction.ModelVersion!.Value).ToList();
                var history = string.Join(",", served.Distinct());
                output.WriteLine($"input partition {partition.Key}: {served.Count} predictions by versions {history}");
                Assert.True(served.Zip(served.Skip(1)).All(p => p.Second >= p.First), $"partition {partition.Key}: versions go backwards ({history})");
                Assert.Equal((1, latest), (served[0], served[^1]));
            }
            Assert.Equal(replicaPids, ReplicaPids(inference.Id)); // swapped in place: no replica was restarted

            (await portal.Http.PostAsync($"/api/results/{resultId}/stop", null)).EnsureSuccessStatusCode();
            var result = await portal.WaitForResultAsync(resultId, r => r.Status.IsFinal());
            Assert.Equal(TrainingStatus.Stopped, result.Status);
            Assert.Equal(versions, await VersionsAsync(resultId));
        }
        finally
        {
            // The portal is shared by the collection: leave no replica or indefinite training running, whatever failed.
            (await portal.Http.PostAsync($"/api/inferences/{inference.Id}/stop", null)).Dispose();
            (await portal.Http.DeleteAsync($"/api/inferences/{inference.Id}")).Dispose();
            (await portal.Http.PostAsync($"/api/results/{resultId}/stop", null)).Dispose();
        }
    }

    private static string InputKey(int i) => string.Create(CultureInfo.InvariantCulture, $"in-{i}");

    private static bool AllPartitionsAnswered(IReadOnlyList<(string Key, PredictionMessage Prediction)> received, int version) =>
        Enumerable.Range(0, InputPartitions).All(partition => received.Any(r => r.Prediction.Partition == partition && r.Prediction.ModelVersion == version));

    /// <summary>Sends keyed RAW inputs (HCOPD's features, float32) at a steady pace, alternating partitions, until stopped; returns how many.</summary>
    private async Task<int> StreamInputsAsync(string topic, List<(float[] Features, float Label)> rows, CancellationToken stop)
    {
        using var producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig { BootstrapServers = portal.BootstrapServers, Acks = Acks.All, LingerMs = 0 }).Build();
        var sent = 0;
        while (!stop.IsCancellationRequested)
        {
            var message = new Message<byte[], byte[]> { Key = Encoding.UTF8.GetBytes(InputKey(sent)), Value = KafkaMlOnlineStream.Float32(rows[sent % rows.Count].Features) };
            await producer.ProduceAsync(new TopicPartition(topic, sent % InputPartitions), message, CancellationToken.None);
            sent++;
            await Task.Delay(InputPace, CancellationToken.None);
        }
        return sent;
    }

    private List<int> ReplicaPids(int inferenceId) =>
        [.. Enumerable.Range(0, 2).Select(replica => int.Parse(
            File.ReadAllText(Path.Combine(portal.DataDir, "jobs", JobSpec.InferenceName(inferenceId), $"replica-{replica}.pid")).Split(' ')[0],
            CultureInfo.InvariantCulture))];

    /// <summary>Writes each window's training loss and the versions published, the figures the settings' reliability rests on.</summary>
    private async Task DescribeWindowsAsync(int resultId, List<(int Version, long SamplesSeen)> versions)
    {
        var metrics = await portal.GetAsync<ResultMetricsResponse>($"/api/results/{resultId}/metrics");
        foreach (var window in metrics.Epochs.OrderBy(e => e.Epoch))
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"window {window.Epoch}: loss {window.Train["loss"]:0.####}, {window.Train["samples_seen"]} samples seen"));
        output.WriteLine($"versions (version, samples seen): {string.Join(" ", versions)}");
    }
}
