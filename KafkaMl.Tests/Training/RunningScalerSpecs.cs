namespace KafkaMl.Tests.Training;

/// <summary>The scaler an incremental training keeps over its windows: fitted on the first, updated with the next.</summary>
public sealed class RunningScalerSpecs
{
    private static SampleSet Window(int count, int seed, float shift)
    {
        var random = new Random(seed);
        var features = Enumerable.Range(0, count * 3).Select(i => i % 3 == 2 ? 7f : shift + (float)(random.NextDouble() * 10)).ToArray();
        return SampleSet.FromArrays(features, [3]);
    }

    [Fact]
    public void Updated_window_by_window_it_equals_the_scaler_fitted_on_all_the_samples_at_once()
    {
        var windows = new[] { Window(40, 1, 0), Window(25, 2, 5), Window(7, 3, -3) };
        var running = new RunningScaler();

        foreach (var window in windows) running.Update(window);

        var all = FeatureScaler.Fit(SampleSet.FromArrays([.. windows.SelectMany(w => w.Features.ToArray())], [3]));
        var scaler = running.ToScaler();
        Assert.Equal(72, running.Count);
        for (var f = 0; f < 3; f++)
        {
            Assert.Equal(all.Mean[f], scaler.Mean[f], 4);
            Assert.Equal(all.Std[f], scaler.Std[f], 4);
        }
        Assert.Equal(1f, scaler.Std[2]); // a constant feature is only centred
    }

    [Fact]
    public void Fitted_on_one_window_it_is_that_windows_scaler()
    {
        var window = Window(30, 4, 2);
        var running = new RunningScaler();

        running.Update(window);

        Assert.Equal(FeatureScaler.Fit(window), running.ToScaler());
    }

    [Fact]
    public void Resumed_from_a_published_scaler_it_goes_on_as_if_it_had_seen_those_samples()
    {
        var (first, second) = (Window(50, 5, 0), Window(20, 6, 4));
        var uninterrupted = new RunningScaler();
        uninterrupted.Update(first);
        uninterrupted.Update(second);

        var resumed = RunningScaler.Resume(FeatureScaler.Fit(first), first.Count);
        resumed.Update(second);

        var (expected, actual) = (uninterrupted.ToScaler(), resumed.ToScaler());
        for (var f = 0; f < 2; f++)
        {
            Assert.Equal(expected.Mean[f], actual.Mean[f], 4);
            Assert.Equal(expected.Std[f], actual.Std[f], 4);
        }
    }

    [Fact]
    public void Samples_of_another_width_are_refused()
    {
        var running = new RunningScaler();
        running.Update(Window(5, 7, 0));

        var refusal = Assert.Throws<TrainingException>(() => running.Update(SampleSet.FromArrays(new float[8], [2])));

        Assert.Contains("fitted on 3 features per sample, but these samples have 2", refusal.Message, StringComparison.Ordinal);
    }
}
