using System.Collections.Immutable;

namespace KafkaMl.Tests.Training;

public sealed class SampleSetSpecs
{
    [Fact]
    public void Splitting_239_samples_at_a_tenth_each_gives_191_24_24()
    {
        var split = TrainingData.Numbered(239).Split(0.1, 0.1, seed: 1);

        Assert.Equal((191, 24, 24), (split.Train.Count, split.Validation.Count, split.Test.Count));
    }

    [Theory]
    [InlineData(239, 0.1, 0.1, 191, 24, 24)]
    [InlineData(10, 0.25, 0.25, 4, 3, 3)]
    [InlineData(5, 0.1, 0.1, 3, 1, 1)]
    [InlineData(4, 0.1, 0.1, 4, 0, 0)]
    [InlineData(100, 0, 0.2, 80, 0, 20)]
    [InlineData(1, 0.1, 0.1, 1, 0, 0)]
    public void Split_sizes_round_each_held_out_part_half_away_from_zero_and_train_gets_the_rest(
        int count, double validationRate, double testRate, int train, int validation, int test)
    {
        Assert.Equal((train, validation, test), SampleSet.SplitSizes(count, validationRate, testRate));
    }

    [Fact]
    public void A_split_that_would_leave_no_training_sample_is_rejected()
    {
        var error = Assert.Throws<TrainingException>(() => SampleSet.SplitSizes(2, 0.5, 0.4));

        Assert.Contains("no sample would be left for training", error.Message);
    }

    [Fact]
    public void The_same_seed_gives_the_same_split()
    {
        var samples = TrainingData.Numbered(239);

        var first = samples.Split(0.1, 0.1, seed: 42);
        var second = samples.Split(0.1, 0.1, seed: 42);

        Assert.Equal(Indices(first.Train), Indices(second.Train));
        Assert.Equal(Indices(first.Validation), Indices(second.Validation));
        Assert.Equal(Indices(first.Test), Indices(second.Test));
        Assert.Equal(first.Train.Features.ToArray(), second.Train.Features.ToArray());
    }

    [Fact]
    public void Another_seed_gives_another_split()
    {
        var samples = TrainingData.Numbered(239);

        Assert.NotEqual(Indices(samples.Split(0.1, 0.1, seed: 1).Test), Indices(samples.Split(0.1, 0.1, seed: 2).Test));
    }

    [Fact]
    public void The_parts_of_a_split_are_disjoint_and_hold_every_sample_once()
    {
        var split = TrainingData.Numbered(239).Split(0.1, 0.1, seed: 3);

        var all = Indices(split.Train).Concat(Indices(split.Validation)).Concat(Indices(split.Test)).ToList();

        Assert.Equal(239, all.Distinct().Count());
        Assert.Equal(Enumerable.Range(0, 239), all.Order());
    }

    [Fact]
    public void A_split_shuffles_before_cutting_so_stream_order_does_not_decide_the_parts()
    {
        // Kafka-ML's keyed producers put each class in its own partition: range order means nothing.
        var split = TrainingData.Numbered(200).Split(0.1, 0.1, seed: 5);

        Assert.Contains(Indices(split.Test), i => i < 180);
        Assert.Contains(Indices(split.Train), i => i >= 180);
    }

    [Fact]
    public void A_sample_keeps_its_own_label_through_a_split()
    {
        var split = TrainingData.Numbered(50).Split(0.2, 0.2, seed: 9);

        foreach (var part in new[] { split.Train, split.Validation, split.Test })
            for (var i = 0; i < part.Count; i++)
                Assert.Equal(part.FeaturesOf(i)[0] * 10, part.FeaturesOf(i)[1]);
    }

    [Fact]
    public void Standardisation_is_fitted_on_the_training_split_only()
    {
        var split = new SampleSplit(
            Train: SampleSet.FromArrays([1, 10, 3, 30], [2]),
            Validation: SampleSet.FromArrays([100, 1000], [2]),
            Test: SampleSet.FromArrays([2, 20], [2]));

        var (standardised, scaler) = split.Standardize();

        Assert.Equal([2f, 20f], scaler.Mean);
        Assert.Equal([1f, 10f], scaler.Std);
        Assert.Equal([-1f, -1f, 1f, 1f], standardised.Train.Features.ToArray());
        Assert.Equal([98f, 98f], standardised.Validation.Features.ToArray());
        Assert.Equal([0f, 0f], standardised.Test.Features.ToArray());
    }

    [Fact]
    public void Standardised_training_features_have_zero_mean_and_unit_variance()
    {
        var train = TrainingData.LinearRelation(300, seed: 4);

        var standardised = FeatureScaler.Fit(train).Transform(train);

        var again = FeatureScaler.Fit(standardised);
        Assert.All(again.Mean, m => Assert.Equal(0, m, 1e-5));
        Assert.All(again.Std, s => Assert.Equal(1, s, 1e-5));
    }

    [Fact]
    public void A_constant_feature_is_only_centred()
    {
        var scaler = FeatureScaler.Fit(SampleSet.FromArrays([5, 1, 5, 3], [2]));

        Assert.Equal(1f, scaler.Std[0]);
        Assert.Equal([0f, 0f, 0f, 1f], scaler.Transform(SampleSet.FromArrays([5, 2, 5, 3], [2])).Features.ToArray());
    }

    [Fact]
    public void A_feature_scaler_round_trips_through_json()
    {
        var scaler = FeatureScaler.Fit(TrainingData.Hcopd());

        var json = scaler.ToJson();

        Assert.StartsWith("{\"mean\":[", json);
        Assert.Equal(scaler, FeatureScaler.FromJson(json));
    }

    [Fact]
    public void Samples_are_gathered_into_contiguous_arrays_in_order()
    {
        var set = SampleSet.FromSamples(
        [
            new DecodedSample([1, 2, 3, 4], [2, 2], [0], [1]),
            new DecodedSample([5, 6, 7, 8], [2, 2], [1], [1]),
        ]);

        Assert.Equal((2, 4, 1), (set.Count, set.FeatureSize, set.LabelSize));
        Assert.Equal([2, 2], set.FeatureShape.ToArray());
        Assert.Equal([1f, 2, 3, 4, 5, 6, 7, 8], set.Features.ToArray());
        Assert.Equal([0f, 1], set.Labels.ToArray());
        using var features = set.FeaturesTensor();
        Assert.Equal([2L, 2, 2], features.shape);
    }

    [Fact]
    public void A_sample_of_another_shape_is_rejected_naming_it()
    {
        var error = Assert.Throws<TrainingException>(() => SampleSet.FromSamples(
        [
            new DecodedSample([1, 2, 3], [3], [0], [1]),
            new DecodedSample([1, 2, 3], [3], [0], [1]),
            new DecodedSample([1, 2], [2], [0], [1]),
        ]));

        Assert.Contains("Sample 2", error.Message);
        Assert.Contains("[2]", error.Message);
        Assert.Contains("[3]", error.Message);
    }

    [Fact]
    public void The_builder_grows_past_its_initial_capacity()
    {
        var builder = SampleSet.CreateBuilder(1);
        for (var i = 0; i < 100; i++) builder.Add(new DecodedSample([i, -i], ImmutableArray.Create(2), [i], [1]));

        var set = builder.Build();

        Assert.Equal(100, set.Count);
        Assert.Equal([99f, -99f], set.FeaturesOf(99).ToArray());
        Assert.Equal(99f, set.LabelOf(99)[0]);
    }

    [Fact]
    public void Concatenated_parts_keep_their_samples_in_order()
    {
        var whole = TrainingData.Numbered(10);

        var joined = SampleSet.Concat([whole.Select([0, 1, 2]), whole.Select([3]), whole.Select([4, 5, 6, 7, 8, 9])]);

        Assert.Equal(whole.Features.ToArray(), joined.Features.ToArray());
        Assert.Equal(Indices(whole), Indices(joined));
    }

    [Fact]
    public void Parts_of_another_feature_shape_are_a_mismatch_naming_both_shapes()
    {
        var other = SampleSet.FromArrays([1, 2, 3], [3], [0], [1]);

        var problem = SampleSet.Mismatch(TrainingData.Numbered(2), other);

        Assert.Equal("their features have shape [3], those before them [2].", problem);
    }

    private static List<int> Indices(SampleSet part) =>
        Enumerable.Range(0, part.Count).Select(i => (int)part.LabelOf(i)[0]).ToList();
}
