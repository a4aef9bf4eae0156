using KafkaMl.Core.Jobs.Training;
using KafkaMl.Tests.Jobs.Training;
using ModelBuilder = KafkaMl.Core.Scripting.ModelBuilder;

namespace KafkaMl.Tests.Chains;

/// <summary>
/// A three-stage chain (exit weights 1, 1, 2) trained once by the bounded mode's loop on <see cref="ChainData"/>'s easy
/// and hard samples, in this process: the specs read its reports and its result.
/// </summary>
public sealed class TrainedChain : IAsyncLifetime
{
    public const string Script = ChainData.Script + ".WithExitWeights(1, 1, 2)";

    public const int Epochs = 40;

    internal RecordingReporter Reporter { get; private set; } = null!;

    public TrainingResultReport Result { get; private set; } = null!;

    public ChainResultReport Chain => Result.Chain!;

    internal LogLines Log { get; } = new();

    public async Task InitializeAsync()
    {
        var spec = JobData.Spec(deploymentId: 1, code: Script, epochs: Epochs, batchSize: 32) with { LearningRate = 0.01, ValidationRate = 0.2, TestRate = 0.3 };
        Reporter = new RecordingReporter(spec);
        Result = await TrainAsync(spec, ChainData.EasyAndHardSet(1500, seed: 11), Reporter, Log);
    }

    /// <summary>Runs <see cref="TrainingModes.Bounded"/>'s loop on <paramref name="samples"/> as the training job would (without Kafka).</summary>
    internal static async Task<TrainingResultReport> TrainAsync(TrainingJobSpec spec, SampleSet samples, RecordingReporter reporter, IProgress<string>? log)
    {
        var definition = await ModelBuilder.BuildAsync(spec.ModelCode, null, spec.Seed, CancellationToken.None);
        using var model = definition.Module;
        var (settings, _) = TrainingJob.ResolveSettings(spec, definition, 0, 0, torchThreads: 1);
        var run = new TrainingRun(new TrainingJobContext { ResultId = spec.ResultId, BootstrapServers = "unused:9092" }, spec, definition,
            ControlMessage.Parse("""{"topic": "data:0:0:10"}"""), settings, reporter, log)
        {
            Reports = new ReportTracker(new CancellationTokenSource()),
        };
        var result = await TrainingModes.Bounded.Loop.RunAsync(run, One(samples), new Unpublished(), CancellationToken.None);
        await run.ReportsDeliveredAsync();
        return result;
    }

    public Task DisposeAsync()
    {
        Reporter.Dispose();
        return Task.CompletedTask;
    }

    private static async IAsyncEnumerable<SampleSet> One(SampleSet samples)
    {
        await Task.Yield();
        yield return samples;
    }

    /// <summary>The specs read the result the loop returns; nothing is uploaded.</summary>
    private sealed class Unpublished : ITrainingPublisher
    {
        public Task PublishAsync(TrainingRun run, TrainedModel trained, CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
