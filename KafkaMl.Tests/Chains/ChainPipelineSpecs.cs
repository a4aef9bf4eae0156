using System.Diagnostics;
using KafkaMl.Tests.EndToEnd;
using static KafkaMl.Tests.Chains.ChainPipeline;

namespace KafkaMl.Tests.Chains;

/// <summary>
/// An early-exit chain as a user runs it, all real: trained by the portal process's job on easy and hard samples,
/// deployed in one action as three stages of `infer` child processes over two brokers — stage 1 on an "edge" broker
/// (a `broker` verb process), stages 2 and 3 on the portal's embedded "cloud" broker — answering on the edge.
/// </summary>
[Collection(PortalProcessCollection.Name)]
public sealed class ChainPipelineSpecs(PortalProcessFixture portal, ITestOutputHelper output) : IAsyncLifetime
{
    private readonly BrokerProcessFixture edge = new();

    public Task InitializeAsync() => edge.InitializeAsync();

    public Task DisposeAsync() => edge.DisposeAsync();

    [Fact]
    public async Task A_three_stage_chain_over_an_edge_and_a_cloud_broker_answers_every_input_once_at_the_exits_the_trade_off_predicted()
    {
        var (result, test) = await TrainAsync(portal, samples: 1500);
        Assert.True(result.Status == TrainingStatus.Finished, result.Error);
        var chain = result.Chain!;
        var threshold = chain.SuggestedThreshold!.Value;
        var expected = chain.TradeOff!.Single(r => r.Threshold == threshold);
        output.WriteLine($"suggested threshold {threshold}: trade-off shares {string.Join(", ", expected.Shares)}, accuracy {expected.Accuracy}");

        var id = Guid.NewGuid().ToString("N")[..10];
        var inference = await portal.PostAsync<InferenceResponse>("/api/inferences", new
        {
            resultId = result.Id,
            inputTopic = $"chain-in-{id}",
            outputTopic = $"chain-out-{id}",
            thresholds = new[] { threshold, threshold },
            stages = new object[] { new { replicas = 1, bootstrapServers = edge.BootstrapServers }, new { replicas = 1 }, new { replicas = 1 } },
        });
        var stages = inference.Chain!.Stages;
        Assert.Equal([1, 2, 3], stages.Select(s => s.Stage));
        Assert.Equal([edge.BootstrapServers, null, null], stages.Select(s => s.BootstrapServers));
        await WaitForChainAsync(inference.Id, c => c.Stages.All(s => s.Status == InferenceStatus.Running), "every stage running");

        // At the suggested threshold: every input answered once, on the edge's output topic, shares as the trade-off said.
        var rows = Rows(test);
        var sent = await SendAsync(edge.BootstrapServers, inference.InputTopic, rows, "suggested");
        var answers = ReadAnswers(edge.BootstrapServers, inference.OutputTopic, sent.Keys);
        Assert.All(answers, a => Assert.Single(a.Value));
        var shares = Enumerable.Range(1, 3).Select(k => answers.Values.Count(a => a[0].Exit == k) / (double)rows.Count).ToList();
        output.WriteLine($"measured shares {string.Join(", ", shares)}");
        for (var k = 0; k < 3; k++) Assert.InRange(shares[k], expected.Shares[k] - 0.03, expected.Shares[k] + 0.03);
        var counted = await WaitForChainAsync(inference.Id, c => c.Stages.Sum(s => s.Answered) == rows.Count, $"{rows.Count} answers counted");
        Assert.Equal(answers.Values.Count(a => a[0].Exit == 1), counted.Stages[0].Answered);
        Assert.Equal(rows.Count - counted.Stages[0].Answered, counted.Stages[0].Forwarded);

        // Threshold 0, changed on the running chain: exit 1 answers everything.
        await SetThresholdsAsync(inference.Id, 0, 0);
        var atZero = ReadAnswers(edge.BootstrapServers, inference.OutputTopic, (await SendAsync(edge.BootstrapServers, inference.InputTopic, rows, "zero")).Keys);
        Assert.All(atZero.Values, a => Assert.Equal(1, Assert.Single(a).Exit));

        // Above 1: the final stage answers everything, as the whole model predicts.
        await SetThresholdsAsync(inference.Id, 1.05, 1.05);
        var above = await SendAsync(edge.BootstrapServers, inference.InputTopic, rows, "above");
        var atAbove = ReadAnswers(edge.BootstrapServers, inference.OutputTopic, above.Keys);
        var (module, scaler) = await TrainingPipelineSpecs.DownloadModelAsync(portal, result.Id);
        var whole = new InferenceModel(module, scaler, Loss.CrossEntropy);
        foreach (var (key, features) in above)
        {
            var answer = Assert.Single(atAbove[key]);
            Assert.Equal(3, answer.Exit);
            var prediction = whole.Predict(features);
            Assert.Equal(prediction.Class, answer.Prediction);
            // Batched on the way (the stages group what waits), so equal up to float rounding: relative 1e-5.
            for (var i = 0; i < prediction.Values.Length; i++)
                Assert.InRange(answer.Values[i]!.Value, prediction.Values[i] - 1e-5f * Math.Max(1, Math.Abs(prediction.Values[i])), prediction.Values[i] + 1e-5f * Math.Max(1, Math.Abs(prediction.Values[i])));
        }

        // A tensor of the wrong size on stage 2's topic (the cloud's) is dead-lettered with the reason.
        await SendAsync(portal.BootstrapServers, stages[1].InputTopic, [new float[5]], "wrong-size");
        var reason = ReadDeadLetterReason(portal.BootstrapServers, TopicNames.DeadLetter(stages[1].InputTopic), "wrong-size-0");
        Assert.Contains("5 values", reason, StringComparison.Ordinal);
        Assert.Contains("[16]", reason, StringComparison.Ordinal);

        // Deleting the chain (through any stage) stops and deletes every stage.
        var pids = stages.Select(s => ReplicaPid(s.InferenceId)).ToList();
        using var deleted = await portal.Http.DeleteAsync($"/api/inferences/{stages[2].InferenceId}");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        foreach (var stage in stages)
        {
            using var gone = await portal.Http.GetAsync($"/api/inferences/{stage.InferenceId}");
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        }
        foreach (var pid in pids) await Eventually.Until(() => Task.FromResult(HasExited(pid)), exited => exited, $"replica process {pid} to exit");
    }

    private async Task SetThresholdsAsync(int inferenceId, double first, double second)
    {
        await portal.PostAsync<InferenceResponse>($"/api/inferences/{inferenceId}/thresholds", new { thresholds = new[] { first, second } });
        // Taken once the stages' replicas report answering with it (they ask every second, without a restart).
        await Eventually.Until(() => ReportedThresholds(inferenceId), taken => taken.SequenceEqual([first, second]),
            taken => $"thresholds {first}, {second} taken (replicas report {string.Join(", ", taken)})", TimeSpan.FromMilliseconds(250));
    }

    private async Task<IReadOnlyList<double?>> ReportedThresholds(int inferenceId)
    {
        var chain = (await portal.GetAsync<InferenceResponse>($"/api/inferences/{inferenceId}")).Chain!;
        var thresholds = new List<double?>();
        foreach (var stage in chain.Stages.Take(2))
        {
            var replicas = (await portal.GetAsync<InferenceResponse>($"/api/inferences/{stage.InferenceId}")).Stats.Replicas;
            thresholds.Add(replicas is [{ Threshold: { } taken }] ? taken : null);
        }
        return thresholds;
    }

    private Task<InferenceChainResponse> WaitForChainAsync(int inferenceId, Func<InferenceChainResponse, bool> done, string what) =>
        Eventually.Until(async () => (await portal.GetAsync<InferenceResponse>($"/api/inferences/{inferenceId}")).Chain!, done,
            chain => $"{what} (now {JsonSerializer.Serialize(chain, PortalProcessFixture.Json)})", TimeSpan.FromMilliseconds(250));

    private int ReplicaPid(int inferenceId) =>
        int.Parse(File.ReadAllText(Path.Combine(portal.DataDir, "jobs", $"kafkaml-infer-{inferenceId}", "replica-0.pid")).Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);

    private static bool HasExited(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return process.HasExited;
        }
        catch (ArgumentException)
        {
            return true;
        }
    }
}
