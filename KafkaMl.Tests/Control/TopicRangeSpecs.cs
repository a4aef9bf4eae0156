namespace KafkaMl.Tests.Control;

public sealed class TopicRangeSpecs
{
    [Fact]
    public void A_range_list_parses_and_formats_back_to_the_same_text()
    {
        const string text = "data:0:0:120,data:1:0:119,data:2:7:7";

        var ranges = TopicRanges.Parse(text);

        Assert.Equal(3, ranges.Count);
        Assert.Equal(new TopicRange("data", 1, 0, 119), ranges[1]);
        Assert.Equal(239, TopicRanges.Total(ranges));
        Assert.Equal(text, TopicRanges.Format(ranges));
    }

    [Theory]
    [InlineData("kafka.ml-data_v2:3:10:20", "kafka.ml-data_v2")]
    [InlineData("KAFKA_ML_DATA:0:0:1", "KAFKA_ML_DATA")]
    public void Topic_names_may_hold_dots_underscores_and_dashes(string text, string topic)
    {
        Assert.Equal(topic, TopicRanges.Parse(text)[0].Topic);
    }

    [Fact]
    public void The_end_is_exclusive()
    {
        var range = TopicRanges.Parse("data:0:5:8")[0];

        Assert.Equal(3, range.Count);
    }

    [Fact]
    public void Whitespace_around_items_is_ignored()
    {
        Assert.Equal(2, TopicRanges.Parse(" a:0:0:1 , b:0:0:2 ").Count);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("data:0:0:1,", "empty item")]
    [InlineData("my:topic:0:0:1", "has 5 parts")]
    [InlineData("da ta:0:0:1", "characters Kafka rejects")]
    [InlineData("data:one:0:1", "partition 'one' is not a whole number")]
    [InlineData("data:-2:0:1", "partition -2 is negative")]
    [InlineData("data:0:-1:1", "start offset -1 is negative")]
    [InlineData("data:0:10:9", "end offset 9 is before the start offset 10")]
    [InlineData("data:0:x:9", "must be whole numbers")]
    [InlineData("data:0:0:10,data:0:5:15", "overlaps")]
    public void A_malformed_range_list_is_rejected_with_the_reason(string text, string reason)
    {
        var error = Assert.Throws<ControlMessageException>(() => TopicRanges.Parse(text));

        Assert.Contains(reason, error.Message);
    }
}
