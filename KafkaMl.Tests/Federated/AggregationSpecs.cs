using KafkaMl.Core.Federated;
using static KafkaMl.Tests.Federated.FederatedData;

namespace KafkaMl.Tests.Federated;

public sealed class AggregationSpecs
{
    [Fact]
    public void Two_sites_with_samples_1_to_3_and_zero_local_epochs_give_exactly_the_weighted_mean_after_one_round()
    {
        var global = Weights(0);
        var siteA = Weights(1.5, 0.5);
        var siteB = Weights(-2, 0.125);
        var collector = new RoundCollector(1, TransferKinds.Update, global);
        var assembler = new TransferAssembler();
        // Zero epochs of local training: each site sends back the weights it holds, through the real wire format.
        foreach (var (site, weights, samples) in new[] { ("a", siteA, 100L), ("b", siteB, 300L) })
        {
            using var model = TorchSharp.torch.nn.Linear(3, 2);
            weights.LoadInto(model);
            var outcome = LocalRound.Run(model, weights, SplitOf(samples), new TrainingSettings(), epochs: 0, mu: null, privacy: null, CancellationToken.None);
            Assert.Null(collector.Offer(Receive(assembler, WeightTransfer.Split(Update(site, 1, samples), outcome.Weights, chunkBytes: 16))!));
        }

        var next = Aggregators.For(new FederatedSettings()).Aggregate(global, [.. collector.Updates.Select(u => new WeightedWeights(u.Weights!, u.Samples))]);

        foreach (var tensor in next.Tensors)
        {
            var a = siteA.ByName[tensor.Name].Values;
            var b = siteB.ByName[tensor.Name].Values;
            Assert.Equal(Enumerable.Range(0, a.Length).Select(i => (a[i] * 1 + b[i] * 3) / 4), tensor.Values);
        }
        // And as float32 tensors again (what the next round publishes): the weighted mean rounded once.
        var published = WeightSet.FromSafeTensors(next.ToSafeTensors());
        Assert.Equal(next.ByName["weight"].Values.Select(v => (double)(float)v), published.ByName["weight"].Values);
    }

    [Fact]
    public void FedAvg_ignores_the_global_weights_and_weights_by_samples_not_by_sites()
    {
        var next = new FedAvg().Aggregate(Weights(100), [new(Weights(0), 1), new(Weights(4), 1), new(Weights(8), 2)]);

        Assert.Equal(5.0, next.ByName["weight"].Values[0]);
    }

    [Fact]
    public void FedAdam_moves_towards_the_mean_by_its_learning_rate_on_the_first_round()
    {
        var adam = new FedAdam(0.1);

        var next = adam.Aggregate(Weights(0, 0), [new(Weights(1, 0), 10)]);

        // Δ = 1: m = 0.1, v = 0.01, step = 0.1 · 0.1 / (0.1 + 0.001).
        Assert.Equal(0.1 * 0.1 / (0.1 + FedAdam.Tau), next.ByName["weight"].Values[0], 12);
    }

    [Fact]
    public void FedAdam_restored_from_its_state_takes_the_same_step_as_one_that_kept_running()
    {
        var running = new FedAdam(0.05);
        var global = running.Aggregate(Weights(0), [new(Weights(1), 5)]);
        var (m, v) = running.State(global);
        var resumed = new FedAdam(0.05);
        resumed.Restore(m, v);

        var a = running.Aggregate(global, [new(Weights(2), 5)]);
        var b = resumed.Aggregate(global, [new(Weights(2), 5)]);

        Assert.Equal(a.ByName["bias"].Values, b.ByName["bias"].Values);
    }

    [Fact]
    public void Standardisation_statistics_combined_by_count_equal_those_of_the_pooled_samples()
    {
        var one = SampleSet.FromArrays([1, 10, 2, 20, 3, 30], [2]);
        var two = SampleSet.FromArrays([7, -1, 9, -3], [2]);
        var pooled = SampleSet.FromArrays([1, 10, 2, 20, 3, 30, 7, -1, 9, -3], [2]);

        var combined = ScalerStatistics.Combine([ScalerStatistics.Of(one), ScalerStatistics.Of(two)]);

        var expected = FeatureScaler.Fit(pooled);
        Assert.Equal(5, combined.Count);
        Assert.Equal(expected.Mean, combined.ToScaler().Mean);
        Assert.Equal(expected.Std, combined.ToScaler().Std);
    }

    [Fact]
    public void Clipping_scales_an_update_down_to_the_clip_norm_and_leaves_a_small_one_alone()
    {
        var global = Weights(0, 0);
        var large = global.Map(t => [.. t.Values.Select(v => v + 3)]); // 8 values moved by 3: norm √72
        var small = global.Map(t => [.. t.Values.Select(v => v + 0.01)]);

        var clipped = UpdatePrivacy.Apply(large, global, clipNorm: 1, noiseMultiplier: 0, new Random(1));

        Assert.Equal(1.0, UpdatePrivacy.UpdateNorm(clipped, global), 12);
        Assert.Equal(small.ByName["bias"].Values, UpdatePrivacy.Apply(small, global, 1, 0, new Random(1)).ByName["bias"].Values);
    }

    [Fact]
    public void Noise_of_a_multiplier_has_the_deviation_of_multiplier_times_clip_norm()
    {
        var global = new WeightSet([new WeightTensor("w", TorchSharp.torch.ScalarType.Float32, [20000], new double[20000])]);

        var noised = UpdatePrivacy.Apply(global, global, clipNorm: 0.5, noiseMultiplier: 2, new Random(3));

        var values = noised.ByName["w"].Values;
        var deviation = Math.Sqrt(values.Select(v => v * v).Average());
        Assert.InRange(deviation, 0.97, 1.03);
    }

    [Fact]
    public void FedProx_with_a_large_mu_keeps_the_local_weights_closer_to_the_global_ones_than_FedAvg()
    {
        var global = Weights(0, 0);
        var split = SplitOf(64);
        var settings = new TrainingSettings { Epochs = 1, LearningRate = 0.05, Optimizer = Optimizer.Sgd, Loss = Loss.Mse, Metrics = [], BatchSize = 8 };

        double Drift(double? mu)
        {
            using var model = TorchSharp.torch.nn.Linear(3, 2);
            var outcome = LocalRound.Run(model, global, split, settings, epochs: 3, mu, privacy: null, CancellationToken.None);
            return UpdatePrivacy.UpdateNorm(outcome.Weights, global);
        }

        Assert.True(Drift(mu: 10) < Drift(mu: null) * 0.8);
    }

    /// <summary>A regression set of 3 features and 2 targets: y = (x0 + x1, x2), without validation or test split.</summary>
    private static SampleSplit SplitOf(long count)
    {
        var random = new Random(5);
        var features = Enumerable.Range(0, (int)count * 3).Select(_ => (float)random.NextDouble()).ToArray();
        var labels = Enumerable.Range(0, (int)count).SelectMany(i => new[] { features[i * 3] + features[i * 3 + 1] + 1, features[i * 3 + 2] + 1 }).ToArray();
        var set = SampleSet.FromArrays(features, [3], labels, [2]);
        return new SampleSplit(set, SampleSet.FromArrays([], [3], [], [2]), SampleSet.FromArrays([], [3], [], [2]));
    }
}
