using KafkaMl.Core.Jobs.Training;
using KafkaMl.Tests.Jobs.Training;
using static TorchSharp.torch;

namespace KafkaMl.Tests.PyTorch;

/// <summary>A deployment made with <c>initialWeightsResultId</c>: its training job starts from those weights (fine-tuning).</summary>
[Collection(TrainingJobCollection.Name)]
public sealed class InitialWeightsTrainingSpecs(BrokerFixture broker) : IDisposable
{
    private readonly string _weights = Path.Combine(Path.GetTempPath(), $"kafkaml-initial-spec-{Guid.NewGuid():N}.dat");

    [Fact]
    public async Task The_job_trains_from_the_initial_weights_not_from_a_fresh_initialisation()
    {
        var expected = await SaveWeightsAsync(JobData.TwoFeatureScript, value: 0.25f);
        // A step far below float32's resolution: training leaves the weights exactly as it found them.
        using var recording = new RecordingReporter(await SendDataAsync() with { Optimizer = "sgd", LearningRate = 1e-30, InitialWeightsResultId = 5 });

        var outcome = await JobData.RunJobAsync(broker, _control!, new StartingFrom(recording, _weights));

        Assert.Equal(TrainingJobStatus.Finished, outcome.Status);
        using var trained = SafeTensorsReader.Read(recording.Artifacts!.SafetensorsPath);
        Assert.Equal(expected.Keys.Order(), trained.ByName.Keys.Order());
        foreach (var (name, values) in expected) Assert.Equal(values, trained[name].data<float>().ToArray());
    }

    [Fact]
    public async Task Initial_weights_that_do_not_fit_the_model_fail_the_job_naming_them()
    {
        await SaveWeightsAsync("""Sequential(("fc1", Linear(2, 4)), ("relu", ReLU()), ("fc2", Linear(4, 2)))""", value: 0.25f);
        using var recording = new RecordingReporter(await SendDataAsync() with { InitialWeightsResultId = 5 });

        var outcome = await JobData.RunJobAsync(broker, _control!, new StartingFrom(recording, _weights));

        Assert.Equal(TrainingJobStatus.Failed, outcome.Status);
        Assert.Contains("do not fit this model", recording.Statuses.Single().Error, StringComparison.Ordinal);
    }

    private string? _control;

    private async Task<TrainingJobSpec> SendDataAsync()
    {
        var (data, control) = broker.NewTopics();
        var deployment = JobData.NewDeploymentId();
        var range = await broker.SendSamples(data, 0, JobData.Blobs(40));
        await broker.SendControl(control, deployment, broker.ControlFor([range]));
        _control = control;
        return JobData.Spec(deployment, epochs: 1);
    }

    /// <summary>Weights of <paramref name="script"/>'s model, every value <paramref name="value"/> + its index, saved where <see cref="StartingFrom"/> serves them.</summary>
    private async Task<Dictionary<string, float[]>> SaveWeightsAsync(string script, float value)
    {
        using var module = (await KafkaMl.Core.Scripting.ModelBuilder.BuildAsync(script, null, seed: 1, CancellationToken.None)).Module;
        var values = new Dictionary<string, float[]>();
        using (NewDisposeScope())
        using (no_grad())
        {
            foreach (var (name, parameter) in module.named_parameters())
            {
                var filled = Enumerable.Range(0, (int)parameter.numel()).Select(i => value + i / 1000f).ToArray();
                parameter.copy_(tensor(filled).reshape(parameter.shape));
                values[name] = filled;
            }
        }
        ModelWeights.Save(module, _weights);
        return values;
    }

    public void Dispose() => File.Delete(_weights);

    /// <summary>The recording portal, serving <paramref name="weights"/> as the deployment's starting weights.</summary>
    private sealed class StartingFrom(RecordingReporter inner, string weights) : ITrainingReporter, IInitialWeightsSource
    {
        public Task<TrainingJobSpec> GetSpecAsync(CancellationToken cancellationToken) => inner.GetSpecAsync(cancellationToken);

        public Task ReportStatusAsync(TrainingStatusReport report, CancellationToken cancellationToken) => inner.ReportStatusAsync(report, cancellationToken);

        public Task ReportEpochAsync(EpochReportDto report, CancellationToken cancellationToken) => inner.ReportEpochAsync(report, cancellationToken);

        public Task ReportResultAsync(TrainingResultReport report, TrainingArtifacts artifacts, CancellationToken cancellationToken) =>
            inner.ReportResultAsync(report, artifacts, cancellationToken);

        public Task DownloadInitialWeightsAsync(string path, CancellationToken cancellationToken)
        {
            File.Copy(weights, path, overwrite: true);
            return Task.CompletedTask;
        }
    }
}
