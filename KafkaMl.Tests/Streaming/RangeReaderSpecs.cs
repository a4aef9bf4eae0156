using KafkaMl.Core.Jobs.Training;
using KafkaMl.Tests.Jobs.Training;

namespace KafkaMl.Tests.Streaming;

/// <summary>Reading exactly the offset ranges a control message names.</summary>
[Collection(TrainingJobCollection.Name)]
public sealed class RangeReaderSpecs(BrokerFixture broker)
{
    [Fact]
    public async Task The_reader_delivers_exactly_the_messages_of_ranges_across_topics_and_partitions()
    {
        var (first, _) = broker.NewTopics();
        var (second, _) = broker.NewTopics(dataPartitions: 2);
        var written = new Dictionary<(string, int), List<long>>();
        foreach (var (topic, partition, count) in new[] { (first, 0, 10), (first, 1, 6), (second, 1, 8) })
        {
            var offsets = new List<long>();
            for (var i = 0; i < count; i++) offsets.Add(await broker.SendBytes(topic, partition, null, BitConverter.GetBytes(i)));
            written[(topic, partition)] = offsets;
        }
        TopicRange[] ranges =
        [
            new(first, 0, 2, 4),  // two ranges of one partition, with a gap between them
            new(first, 0, 7, 9),
            new(first, 1, 0, 6),  // a whole partition
            new(second, 1, 5, 8), // another topic, up to its end
            new(second, 0, 0, 0), // empty, as Kafka-ML writes for partitions it did not use
        ];
        var read = new List<(int Range, string Topic, int Partition, long Offset)>();

        var summary = await new RangeReader(broker.BootstrapServers).ReadAsync(ranges,
            (index, message) => read.Add((index, message.Topic, message.Partition.Value, message.Offset.Value)), CancellationToken.None)
            .WaitAsync(Eventually.Patience);

        var expected = ranges.SelectMany((r, i) => Enumerable.Range((int)r.Start, (int)r.Count).Select(o => (i, r.Topic, r.Partition, (long)o)));
        Assert.Equal(expected.Order(), read.Order());
        Assert.Equal(new RangeReadSummary(13, 0, summary.Elapsed), summary);
    }

    [Fact]
    public async Task Messages_of_one_partition_arrive_in_offset_order()
    {
        var (topic, _) = broker.NewTopics();
        var range = await broker.SendSamples(topic, 3, JobData.Blobs(50));
        var offsets = new List<long>();

        await new RangeReader(broker.BootstrapServers).ReadAsync([range], (_, message) => offsets.Add(message.Offset.Value), CancellationToken.None)
            .WaitAsync(Eventually.Patience);

        Assert.Equal(Enumerable.Range((int)range.Start, 50).Select(o => (long)o), offsets);
    }

    [Fact]
    public async Task A_range_beyond_the_end_of_its_partition_fails_after_the_timeout_naming_the_partition_and_the_offsets()
    {
        var (topic, _) = broker.NewTopics();
        var written = await broker.SendSamples(topic, 1, JobData.Blobs(10));
        var reader = new RangeReader(broker.BootstrapServers, options: new RangeReaderOptions { MissingDataTimeout = TimeSpan.FromSeconds(2) });

        var error = await Assert.ThrowsAsync<RangeReadException>(() =>
            reader.ReadAsync([written with { End = written.End + 5 }], (_, _) => { }, CancellationToken.None).WaitAsync(Eventually.Patience));

        Assert.Contains($"topic {topic} partition 1 ends at offset {written.End}", error.Message, StringComparison.Ordinal);
        Assert.Contains($"needs offsets up to {written.End + 4}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_range_that_starts_past_the_end_of_its_partition_fails_clearly()
    {
        var (topic, _) = broker.NewTopics();
        await broker.SendSamples(topic, 0, JobData.Blobs(5));
        var reader = new RangeReader(broker.BootstrapServers, options: new RangeReaderOptions { MissingDataTimeout = TimeSpan.FromSeconds(2) });

        var error = await Assert.ThrowsAsync<RangeReadException>(() =>
            reader.ReadAsync([new TopicRange(topic, 0, 20, 30)], (_, _) => { }, CancellationToken.None).WaitAsync(Eventually.Patience));

        Assert.Contains($"topic {topic} partition 0 ends at offset 5", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_training_job_trains_on_the_named_ranges_only()
    {
        // Poison before and after the ranges, on the same partitions: a 2-class model cannot train on label 5.
        var (data, control) = broker.NewTopics();
        var deployment = JobData.NewDeploymentId();
        await broker.SendSamples(data, 0, JobData.Poison(5));
        var left = await broker.SendSamples(data, 0, JobData.Blobs(30, seed: 4));
        await broker.SendSamples(data, 0, JobData.Poison(5));
        await broker.SendSamples(data, 1, JobData.Poison(3));
        var right = await broker.SendSamples(data, 1, JobData.Blobs(20, seed: 5));
        await broker.SendSamples(data, 1, JobData.Poison(3));
        await broker.SendControl(control, deployment, broker.ControlFor([left, right], validationRate: 0, testRate: 0.5));
        using var reporter = new RecordingReporter(JobData.Spec(deployment));
        var log = new LogLines();

        var outcome = await JobData.RunJobAsync(broker, control, reporter, log);

        Assert.True(outcome.Status == TrainingJobStatus.Finished, $"{outcome.Error}\n{log}");
        Assert.Equal(25, reporter.Result!.ConfusionMatrix!.Sum(row => row.Sum())); // half of the 50 samples of the ranges
        Assert.Contains(log.Lines, line => line.StartsWith("read 50 messages", StringComparison.Ordinal));
    }
}
