namespace KafkaMl.Tests.Sinks;

public sealed class OffsetTrackerSpecs
{
    [Fact]
    public void Consecutive_offsets_of_a_partition_make_one_range_with_an_exclusive_end()
    {
        var tracker = new OffsetTracker();
        for (var offset = 40L; offset < 50; offset++) tracker.Record(1, offset);

        Assert.Equal([new TopicRange("t", 1, 40, 50)], tracker.Ranges("t"));
    }

    [Fact]
    public void Offsets_another_producer_took_in_between_are_not_claimed()
    {
        var tracker = new OffsetTracker();
        foreach (var offset in new long[] { 0, 1, 2, 5, 6 }) tracker.Record(0, offset);

        Assert.Equal([new TopicRange("t", 0, 0, 3), new TopicRange("t", 0, 5, 7)], tracker.Ranges("t"));
    }

    [Fact]
    public void Ranges_are_listed_by_partition_whatever_the_order_reports_arrived_in()
    {
        var tracker = new OffsetTracker();
        tracker.Record(3, 0);
        tracker.Record(0, 7);
        tracker.Record(3, 1);
        tracker.Record(0, 8);

        Assert.Equal([new TopicRange("t", 0, 7, 9), new TopicRange("t", 3, 0, 2)], tracker.Ranges("t"));
    }
}
