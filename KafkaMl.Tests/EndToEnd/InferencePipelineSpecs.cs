using System.Diagnostics;

namespace KafkaMl.Tests.EndToEnd;

/// <summary>
/// Streaming inference as a user drives it, all real: HCOPD trained through the portal process, deployed with two
/// replicas that are the local runner's `infer` child processes, samples through the embedded broker, predictions
/// checked against the downloaded model run in this process — and one replica killed mid-stream.
/// </summary>
[Collection(PortalProcessCollection.Name)]
public sealed class InferencePipelineSpecs(PortalProcessFixture portal, ITestOutputHelper output)
{
    [Fact]
    public async Task HCOPD_served_by_two_replicas_answers_every_input_once_as_the_trained_model_does_even_when_a_replica_is_killed_mid_stream()
    {
        var deployment = await TrainingPipelineSpecs.DeployAsync(portal, $"infer-{Guid.NewGuid():N}", [TrainingPipelineSpecs.HcopdMlp], epochs: 30);
        await TrainingPipelineSpecs.SendHcopdAsync(portal, deployment.Id);
        var result = await portal.WaitForResultAsync(deployment.Results[0].Id, r => r.Status.IsFinal());
        Assert.Equal(TrainingStatus.Finished, result.Status);

        var id = Guid.NewGuid().ToString("N")[..10];
        var inference = await portal.PostAsync<InferenceResponse>("/api/inferences", new
        {
            resultId = result.Id,
            replicas = 2,
            inputTopic = $"hcopd-in-{id}",
            outputTopic = $"hcopd-out-{id}",
        });
        Assert.Equal(result.Input!.InputFormat, inference.InputFormat); // defaults from the result's stream
        await WaitForInferenceAsync(inference.Id, i => i.Status == InferenceStatus.Running && i.Stats.Replicas.Count == 2, "running with 2 replicas reporting");

        var (module, scaler) = await TrainingPipelineSpecs.DownloadModelAsync(portal, result.Id);
        var predictor = new InferenceModel(module, scaler, Loss.CrossEntropy);
        var encoder = DataFormats.CreateEncoder(inference.InputFormat, inference.InputConfig);
        var rows = TrainingPipelineSpecs.HcopdRows().Select(r => r.Features).ToList();

        // All replicas up: every input answered exactly once, as the model predicts in-process.
        var first = await ProduceAsync(inference.InputTopic, encoder, rows, killAfter: null);
        var answers = ReadAnswers(inference.OutputTopic, first.Keys, []);
        Assert.All(first, input => Assert.Single(answers[input.Key]));
        AssertPredictedLikeTheModel(first, answers, predictor);
        var stats = await WaitForInferenceAsync(inference.Id, i => i.Stats.MessagesOut == first.Count && i.Stats.Replicas.Count == 2,
            $"stats of 2 replicas with {first.Count} messages out");
        Assert.Equal(first.Count, stats.Stats.MessagesIn);
        Assert.NotEmpty(stats.Stats.Recent);

        // One replica killed mid-stream: every input still answered (duplicates allowed, counted), none missing.
        var pidFile = Path.Combine(portal.DataDir, "jobs", $"kafkaml-infer-{inference.Id}", "replica-1.pid");
        var second = await ProduceAsync(inference.InputTopic, encoder, rows, killAfter: (rows.Count / 3, () => KillReplica(pidFile)));
        var all = ReadAnswers(inference.OutputTopic, second.Keys, answers.Keys);
        Assert.All(second, input => Assert.NotEmpty(all[input.Key]));
        AssertPredictedLikeTheModel(second, all, predictor);
        var duplicates = second.Keys.Sum(key => all[key].Count - 1);
        output.WriteLine($"{second.Count} inputs after the kill answered with {duplicates} duplicate prediction(s)");

        using var stopped = await portal.Http.PostAsync($"/api/inferences/{inference.Id}/stop", null);
        Assert.True(stopped.IsSuccessStatusCode, await stopped.Content.ReadAsStringAsync());
        using var deleted = await portal.Http.DeleteAsync($"/api/inferences/{inference.Id}");
        Assert.Equal(System.Net.HttpStatusCode.NoContent, deleted.StatusCode);
    }

    private void KillReplica(string pidFile)
    {
        var pid = int.Parse(File.ReadAllText(pidFile).Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        Process.GetProcessById(pid).Kill();
        output.WriteLine($"killed replica process {pid}");
    }

    /// <summary>Produces the features (RAW, no label) one by one; runs <paramref name="killAfter"/>'s action after that many. Returns input position → features.</summary>
    private async Task<Dictionary<(int Partition, long Offset), float[]>> ProduceAsync(
        string topic, IDataEncoder encoder, IReadOnlyList<float[]> rows, (int Count, Action Action)? killAfter)
    {
        using var producer = new ProducerBuilder<byte[]?, byte[]>(new ProducerConfig { BootstrapServers = portal.BootstrapServers, LingerMs = 1 }).Build();
        var sent = new Dictionary<(int, long), float[]>();
        for (var i = 0; i < rows.Count; i++)
        {
            if (killAfter is { } kill && i == kill.Count) kill.Action();
            var message = encoder.Encode(rows[i], []);
            var delivery = await producer.ProduceAsync(topic, new Message<byte[]?, byte[]> { Key = message.Key, Value = message.Value });
            sent[(delivery.Partition.Value, delivery.Offset.Value)] = rows[i];
            if (killAfter is not null) await Task.Delay(20); // a stream, not a burst: the kill lands in the middle of it
        }
        return sent;
    }

    /// <summary>Reads the output topic from the start until every input in <paramref name="wanted"/> has a prediction; groups them by input.</summary>
    private Dictionary<(int Partition, long Offset), List<PredictionMessage>> ReadAnswers(
        string topic, IEnumerable<(int, long)> wanted, IEnumerable<(int, long)> earlier)
    {
        using var consumer = new ConsumerBuilder<byte[]?, byte[]>(new ConsumerConfig
        {
            BootstrapServers = portal.BootstrapServers,
            GroupId = $"e2e-reader-{Guid.NewGuid():N}",
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = false,
        }).Build();
        consumer.Subscribe(topic);
        var missing = new HashSet<(int, long)>(wanted);
        var expected = new HashSet<(int, long)>(earlier.Concat(missing));
        var answers = new Dictionary<(int, long), List<PredictionMessage>>();
        var clock = Stopwatch.StartNew();
        while (missing.Count > 0)
        {
            Assert.True(clock.Elapsed < Eventually.Patience, $"{missing.Count} input(s) got no prediction within {Eventually.Patience}, e.g. {missing.First()}");
            ConsumeResult<byte[]?, byte[]>? record;
            try
            {
                record = consumer.Consume(TimeSpan.FromMilliseconds(200));
            }
            catch (ConsumeException e) when (e.Error.Code == ErrorCode.UnknownTopicOrPart)
            {
                continue; // the replicas create the output topic with their first prediction
            }
            if (record is null) continue;
            var prediction = PredictionMessage.Parse(record.Message.Value);
            var input = (prediction.Partition, prediction.Offset);
            Assert.Contains(input, expected); // nothing answers an input that was never sent
            if (!answers.TryGetValue(input, out var list)) answers[input] = list = [];
            list.Add(prediction);
            missing.Remove(input);
        }
        consumer.Close();
        return answers;
    }

    private static void AssertPredictedLikeTheModel(
        Dictionary<(int Partition, long Offset), float[]> inputs, Dictionary<(int Partition, long Offset), List<PredictionMessage>> answers, InferenceModel predictor)
    {
        foreach (var (input, features) in inputs)
        {
            var expected = predictor.Predict(features);
            foreach (var answer in answers[input])
            {
                Assert.Equal(expected.Class, answer.Prediction);
                Assert.Equal(expected.Values.Length, answer.Values.Count);
                for (var i = 0; i < expected.Values.Length; i++) Assert.Equal(expected.Values[i], answer.Values[i]!.Value, 4);
            }
        }
    }

    private Task<InferenceResponse> WaitForInferenceAsync(int id, Func<InferenceResponse, bool> done, string what) =>
        Eventually.Until(
            () => portal.GetAsync<InferenceResponse>($"/api/inferences/{id}"), done,
            async inference =>
            {
                var log = await portal.Http.GetStringAsync("/api/status").ContinueWith(t => t.IsCompletedSuccessfully ? t.Result : "");
                return $"inference {id} to be {what} (now {JsonSerializer.Serialize(inference, PortalProcessFixture.Json)})\n{log}";
            },
            TimeSpan.FromMilliseconds(250));
}
