using System.Diagnostics;
using KafkaMl.Core.Jobs.Training;
using Job = KafkaMl.Core.Jobs.Training.TrainingJob;

namespace KafkaMl.Tests.Jobs.Training;

/// <summary>The paper's COPD example end to end in one process: sent with RawSink, trained by the job, weights loaded back.</summary>
[Collection(TrainingJobCollection.Name)]
public sealed class HcopdTrainingJobSpecs(BrokerFixture broker, ITestOutputHelper output)
{
    [Fact]
    public async Task The_HCOPD_stream_trains_to_80_percent_test_accuracy_and_the_uploaded_weights_predict_like_the_job()
    {
        var (data, control) = broker.NewTopics();
        var deployment = JobData.NewDeploymentId();
        var sent = await SendHcopd(data, control, deployment);
        var spec = JobData.Spec(deployment, code: JobData.HcopdScript, epochs: 50, batchSize: 10) with { LearningRate = 0.01 };
        using var reporter = new RecordingReporter(spec);
        var log = new LogLines();

        var clock = Stopwatch.StartNew();
        var outcome = await JobData.RunJobAsync(broker, control, reporter, log);
        clock.Stop();

        Assert.True(outcome.Status == TrainingJobStatus.Finished, $"{outcome.Error}\n{log}");
        Assert.Equal(["deployed", "training"], reporter.Statuses.Select(s => s.Status));
        Assert.Equal(Enumerable.Range(1, 50), reporter.Epochs.Select(e => e.Epoch));
        Assert.All(reporter.Epochs, e => Assert.Equal(["loss", "accuracy"], e.Validation.Keys));
        var result = reporter.Result!;
        var accuracy = result.TestMetrics[MetricNames.Accuracy];
        output.WriteLine($"HCOPD test accuracy {accuracy:0.###}, loss {result.TestMetrics[MetricNames.Loss]:0.###}; training {result.TrainingSeconds:0.##} s; job wall time {clock.Elapsed.TotalSeconds:0.##} s");
        output.WriteLine(log.ToString());
        Assert.True(accuracy >= 0.80, $"test accuracy {accuracy}");
        var (_, _, testCount) = SampleSet.SplitSizes(239, 0.1, 0.1);
        Assert.Equal(2, result.ConfusionMatrix!.Length);
        Assert.All(result.ConfusionMatrix, row => Assert.Equal(2, row.Length));
        Assert.Equal(testCount, result.ConfusionMatrix.Sum(row => row.Sum()));
        Assert.NotNull(result.Scaler);

        // The uploaded weights, loaded into freshly built models, give the job's test metrics on the job's test split.
        using var metadata = SafeTensorsReader.Read(reporter.Artifacts!.SafetensorsPath);
        var scaler = FeatureScaler.FromJson(metadata.Metadata[Job.ScalerMetadataKey]);
        Assert.Equal(FeatureScaler.FromJson(result.Scaler!.ToJsonString()), scaler);
        var test = scaler.Transform((await ReadBack(sent.ControlMessage!)).Split(0.1, 0.1, spec.Seed).Test);
        using var fromWeights = await BuildAsync(JobData.HcopdScript);
        ModelWeights.Load(fromWeights, reporter.Artifacts.WeightsPath);
        using var fromSafetensors = await BuildAsync(JobData.HcopdScript);
        ModelWeights.ImportSafeTensors(fromSafetensors, reporter.Artifacts.SafetensorsPath);
        foreach (var model in new[] { fromWeights, fromSafetensors })
        {
            var evaluation = Evaluator.Evaluate(model, test, Loss.CrossEntropy, [MetricNames.Accuracy]);
            Assert.Equal(result.TestMetrics[MetricNames.Accuracy], evaluation.Metrics[MetricNames.Accuracy]);
            Assert.Equal(result.TestMetrics[MetricNames.Loss], evaluation.Metrics[MetricNames.Loss], 1e-6);
            Assert.Equal(result.ConfusionMatrix, evaluation.ConfusionMatrix);
        }
        var predicted = new InferenceModel(fromWeights, loss: Loss.CrossEntropy).Predict(test).Select(p => p.Values);
        var predictedToo = new InferenceModel(fromSafetensors, loss: Loss.CrossEntropy).Predict(test).Select(p => p.Values);
        Assert.Equal(predicted, predictedToo);
    }

    private async Task<SinkResult> SendHcopd(string data, string control, int deployment)
    {
        var csv = Path.Combine(KafkaMlProcess.RepoRoot, "samples", "hcopd", "hcopd.csv");
        using var samples = CsvSamples.Open(csv, new CsvSampleOptions { Label = "Diagnosis", Features = ["Gender", "Age", "Smoking"] });
        using var sink = new RawSink(new KafkaSinkOptions
        {
            BootstrapServers = broker.BootstrapServers,
            Topic = data,
            ControlTopic = control,
            DeploymentId = deployment,
            Description = "HCOPD",
            ValidationRate = 0.1,
            TestRate = 0.1,
        });
        while (samples.MoveNext()) sink.Send(samples.Features, samples.Label);
        return await sink.CompleteAsync();
    }

    /// <summary>The samples as the job read them: range by range, in the control message's order.</summary>
    private async Task<SampleSet> ReadBack(ControlMessage control)
    {
        var decoder = control.CreateDecoder();
        var builder = SampleSet.CreateBuilder();
        var reader = new RangeReader(broker.BootstrapServers);
        foreach (var range in control.GetRanges())
            await reader.ReadAsync([range], (_, message) => builder.Add(decoder.Decode(message.Message.Key ?? [], message.Message.Value)), CancellationToken.None);
        return builder.Build();
    }

    private static async Task<TorchSharp.torch.nn.Module<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor>> BuildAsync(string script)
    {
        var compilation = await new ModelScriptCompiler(new ModelScriptCompilerOptions { CompileTimeout = TimeSpan.FromSeconds(60) }).CompileAsync(script);
        return (await ModelScriptRunner.BuildAsync(compilation, CancellationToken.None)).Module;
    }
}
