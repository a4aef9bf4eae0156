using KafkaMl.Core.Dashboards;
using static KafkaMl.Tests.Dashboards.DashboardMessages;

namespace KafkaMl.Tests.Dashboards;

public sealed class DashboardAggregatorSpecs
{
    private static DashboardAggregator Classes(int window, bool averageUpdated = false, int maxPending = 100) =>
        new(new DashboardSettings(DashboardType.Classification, window, averageUpdated), maxPending);

    private static DashboardAggregator Values(int window, int maxPending = 100) =>
        new(new DashboardSettings(DashboardType.Regression, window, AverageUpdated: false), maxPending);

    [Fact]
    public void A_classification_window_counts_the_latest_classes_only()
    {
        var aggregator = Classes(window: 4);
        foreach (var (c, i) in new[] { 0, 0, 0, 1, 2, 1 }.Select((c, i) => (c, i))) aggregator.AddPrediction(null, OfClass(c), At(i));

        var summary = aggregator.Snapshot(At(10));

        Assert.Equal((6L, 0L, 4), (summary.Messages, summary.NotPredictions, summary.InWindow));
        Assert.Equal(new Dictionary<string, long> { ["0"] = 1, ["1"] = 2, ["2"] = 1 }, summary.ClassCounts);
        Assert.Equal([0, 1, 2, 1], summary.Last);
        Assert.Equal(1, summary.Current);
        Assert.Equal("classification", summary.Type);
    }

    [Fact]
    public void The_tile_shows_the_latest_class_or_with_average_updated_the_leading_class_of_the_window()
    {
        var latest = Classes(window: 5);
        var averaged = Classes(window: 5, averageUpdated: true);
        foreach (var c in new[] { 2, 2, 2, 0, 1 })
        {
            latest.AddPrediction(null, OfClass(c), At(0));
            averaged.AddPrediction(null, OfClass(c), At(0));
        }

        Assert.Equal(1, latest.Snapshot(At(1)).Current);
        Assert.Equal(2, averaged.Snapshot(At(1)).Current);
    }

    [Fact]
    public void Kafka_mls_bare_values_are_classified_by_their_largest_value_or_a_single_value_from_one_half()
    {
        var aggregator = Classes(window: 10);
        aggregator.AddPrediction(null, Bare(0.1f, 0.7f, 0.2f), At(0));
        aggregator.AddPrediction(null, Bare(0.8f), At(0));
        aggregator.AddPrediction(null, Bare(0.3f), At(0));

        Assert.Equal([1, 1, 0], aggregator.Snapshot(At(1)).Last);
    }

    [Theory]
    [InlineData("not json at all")]
    [InlineData("[1, 2, 3]")]
    [InlineData("{\"value\": [1]}")]
    [InlineData("{\"values\": 3}")]
    [InlineData("{\"values\": [\"a\"]}")]
    [InlineData("{\"values\": []}")]
    [InlineData("{\"values\": [1, 2]")]
    [InlineData("{\"values\": [1]}{\"values\": [1]}")]
    [InlineData("")]
    public void A_message_that_is_not_values_json_counts_as_not_a_prediction_and_changes_no_figure(string message)
    {
        var aggregator = Classes(window: 10);
        aggregator.AddPrediction(null, OfClass(2), At(0));

        aggregator.AddPrediction(null, Encoding.UTF8.GetBytes(message), At(1));

        var summary = aggregator.Snapshot(At(2));
        Assert.Equal((2L, 1L, 1, 2), (summary.Messages, summary.NotPredictions, summary.InWindow, summary.Current));
    }

    [Fact]
    public void A_regression_window_gives_each_outputs_last_min_mean_and_max()
    {
        var aggregator = Values(window: 3);
        aggregator.AddPrediction(null, Bare(100, -100), At(0)); // leaves the window
        aggregator.AddPrediction(null, Bare(1, 10), At(1));
        aggregator.AddPrediction(null, Bare(2, 20), At(2));
        aggregator.AddPrediction(null, Bare(6, 30), At(3));

        var summary = aggregator.Snapshot(At(4));

        Assert.Equal([new OutputFigures(0, 6, 1, 3, 6), new OutputFigures(1, 30, 10, 20, 30)], summary.Outputs);
        Assert.Equal([1f, 2f, 6f], summary.Recent!.Select(p => p.Values[0]!.Value));
        Assert.Null(summary.ClassCounts);
        Assert.Equal("regression", summary.Type);
    }

    [Fact]
    public void Class_counts_over_time_are_kept_per_second()
    {
        var aggregator = Classes(window: 100);
        aggregator.AddPrediction(null, OfClass(0), At(0));
        aggregator.AddPrediction(null, OfClass(1), At(0).AddMilliseconds(500));
        aggregator.AddPrediction(null, OfClass(1), At(2));

        var timeline = aggregator.Snapshot(At(3)).ClassTimeline!;

        Assert.Equal([At(0), At(2)], timeline.Select(p => p.Time));
        Assert.Equal(new Dictionary<string, long> { ["0"] = 1, ["1"] = 1 }, timeline[0].Counts);
        Assert.Equal(new Dictionary<string, long> { ["1"] = 1 }, timeline[1].Counts);
    }

    [Fact]
    public void Joining_labels_by_key_gives_the_accuracy_computed_from_the_same_messages_whichever_arrives_first()
    {
        var random = new Random(17);
        var aggregator = Classes(window: 1_000);
        var pairs = Enumerable.Range(0, 500).Select(i => (Key: Key(i), Predicted: random.Next(3), Truth: random.Next(3))).ToList();
        foreach (var (pair, i) in pairs.Select((p, i) => (p, i)))
        {
            // Half the labels come before their prediction, half after.
            if (i % 2 == 0) aggregator.AddLabel(pair.Key, Label(pair.Truth), At(i));
            aggregator.AddPrediction(pair.Key, OfClass(pair.Predicted), At(i));
            if (i % 2 == 1) aggregator.AddLabel(pair.Key, Label(pair.Truth), At(i));
        }

        var summary = aggregator.Snapshot(At(600));

        var expected = pairs.Count(p => p.Predicted == p.Truth) / (double)pairs.Count;
        Assert.Equal(expected, summary.Accuracy!.Value, precision: 12);
        Assert.Equal((500L, 0, 0), (summary.Labelled, summary.PendingPredictions, summary.PendingLabels));
        Assert.Equal(expected, summary.ScoreTimeline[^1].Value, precision: 12);
    }

    [Fact]
    public void Joining_values_with_labels_gives_the_mae_over_the_window_of_joined_pairs()
    {
        var aggregator = Values(window: 2);
        aggregator.AddPrediction(Key(0), Bare(10), At(0)); // its pair leaves the window
        aggregator.AddLabel(Key(0), Label(0), At(0));
        aggregator.AddPrediction(Key(1), Bare(1.5f), At(1));
        aggregator.AddLabel(Key(1), Label(1), At(1));
        aggregator.AddLabel(Key(2), Label(3), At(2));
        aggregator.AddPrediction(Key(2), Bare(2), At(2));

        var summary = aggregator.Snapshot(At(3));

        Assert.Equal(0.75, summary.Mae!.Value, precision: 6);
        Assert.Null(summary.Accuracy);
        Assert.Equal(3, summary.Labelled);
    }

    [Fact]
    public void Labels_as_raw_float32_join_like_json_ones()
    {
        var aggregator = Classes(window: 10);
        aggregator.AddPrediction(Key(0), OfClass(2), At(0));
        aggregator.AddLabel(Key(0), BitConverter.GetBytes(2f), At(0));

        Assert.Equal(1.0, aggregator.Snapshot(At(1)).Accuracy);
    }

    [Fact]
    public void Memory_stays_bounded_however_many_messages_arrive_unjoined()
    {
        var aggregator = Classes(window: 50, maxPending: 1_000);
        for (var i = 0; i < 30_000; i++)
        {
            aggregator.AddPrediction(Key(i), OfClass(i % 3), At(i));
            aggregator.AddLabel(Key(1_000_000 + i), Label(i % 3), At(i)); // never matches
        }

        var summary = aggregator.Snapshot(At(40_000));

        Assert.Equal((50, 1_000, 1_000), (summary.InWindow, summary.PendingPredictions, summary.PendingLabels));
        Assert.Equal(DashboardAggregator.Strip, summary.Last!.Count);
        Assert.Equal(DashboardAggregator.TimelinePoints, summary.ClassTimeline!.Count);
        Assert.Equal(50, summary.ClassCounts!.Values.Sum());
        Assert.Equal(0, summary.Labelled);
    }

    [Fact]
    public void A_pending_prediction_dropped_for_room_no_longer_joins()
    {
        var aggregator = Classes(window: 10, maxPending: 2);
        aggregator.AddPrediction(Key(0), OfClass(0), At(0));
        aggregator.AddPrediction(Key(1), OfClass(1), At(0));
        aggregator.AddPrediction(Key(2), OfClass(2), At(0)); // pushes Key(0) out

        aggregator.AddLabel(Key(0), Label(0), At(1));
        aggregator.AddLabel(Key(2), Label(2), At(1));

        var summary = aggregator.Snapshot(At(2));
        Assert.Equal((1L, 1.0, 1, 1), (summary.Labelled, summary.Accuracy!.Value, summary.PendingPredictions, summary.PendingLabels));
    }
}
