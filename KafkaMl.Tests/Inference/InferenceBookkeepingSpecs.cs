using KafkaMl.Core.Streaming;

namespace KafkaMl.Tests.Inference;

/// <summary>The engine's bookkeeping without Kafka or TorchSharp: offsets, output JSON, dead letters, stats.</summary>
public sealed class InferenceBookkeepingSpecs
{
    [Fact]
    public void An_offset_is_committable_only_when_every_earlier_answer_of_its_partition_was_delivered()
    {
        var progress = new PartitionProgress(0);
        var a = progress.Track(10, -1, deadLetter: false);
        var b = progress.Track(11, -1, deadLetter: false);
        var c = progress.Track(12, -1, deadLetter: true);

        c.Complete(delivered: true);
        b.Complete(delivered: true);
        Assert.Null(progress.Advance());
        Assert.Equal(1, progress.Outstanding);

        a.Complete(delivered: true);
        Assert.Equal(13, progress.Advance());
        Assert.Equal(0, progress.Outstanding);
        Assert.Null(progress.Advance());
    }

    [Fact]
    public void A_failed_delivery_blocks_its_partition_from_committing_past_it()
    {
        var progress = new PartitionProgress(3);
        progress.Track(0, -1, false).Complete(delivered: true);
        progress.Track(1, -1, false).Complete(delivered: false);
        progress.Track(2, -1, false).Complete(delivered: true);

        Assert.Equal(1, progress.Advance());
        Assert.True(progress.Blocked);
        Assert.Null(progress.Advance());
    }

    [Fact]
    public void A_prediction_is_json_with_the_values_first_then_the_class_model_source_and_model_version()
    {
        var writer = new PredictionWriter("hcopd \"v2\"");

        var json = writer.WriteString([0.25f, -1.5f], 0, 2, 118, modelVersion: 3);
        var nan = writer.WriteString([float.NaN], null, 0, 0);

        Assert.Equal("{\"values\":[0.25,-1.5],\"prediction\":0,\"model\":\"hcopd \\u0022v2\\u0022\",\"partition\":2,\"offset\":118,\"modelVersion\":3}", json);
        Assert.Equal("{\"values\":[null],\"prediction\":null,\"model\":\"hcopd \\u0022v2\\u0022\",\"partition\":0,\"offset\":0,\"modelVersion\":null}", nan);
        var parsed = PredictionMessage.Parse(Encoding.UTF8.GetBytes(json));
        Assert.Equal([0.25f, -1.5f], parsed.Values.Select(v => v!.Value));
        Assert.Equal((0, "hcopd \"v2\"", 2, 118L, (int?)3), (parsed.Prediction, parsed.Model, parsed.Partition, parsed.Offset, parsed.ModelVersion));
    }

    [Fact]
    public void A_dead_letter_keeps_the_original_message_and_adds_the_error_and_the_source()
    {
        var input = new ConsumeResult<byte[]?, byte[]?>
        {
            Topic = "sensors",
            Partition = 1,
            Offset = 42,
            Message = new Message<byte[]?, byte[]?> { Key = [1, 2], Value = [3, 4, 5], Headers = new Headers { { "trace", [7] } } },
        };

        var letter = DeadLetters.Create(input, "RAW data: 3 bytes");

        Assert.Equal(new byte[] { 1, 2 }, letter.Key);
        Assert.Equal(new byte[] { 3, 4, 5 }, letter.Value);
        Assert.Equal(new byte[] { 7 }, letter.Headers.GetLastBytes("trace"));
        Assert.Equal("RAW data: 3 bytes", Encoding.UTF8.GetString(letter.Headers.GetLastBytes(InferenceJobRoutes.ErrorHeader)));
        Assert.Equal("sensors:1:42", DeadLetters.SourceOf(letter.Headers));
        Assert.Equal("sensors.dlq", TopicNames.DeadLetter("sensors"));
    }

    [Fact]
    public void Stats_report_counters_latency_percentiles_over_the_window_and_the_newest_predictions_first()
    {
        var stats = new InferenceStats(replica: "1", latencyWindow: 100, recentPredictions: 3);
        stats.CountIn(5);
        for (var ms = 1; ms <= 200; ms++) stats.CountDelivered(ms);
        stats.CountError();
        stats.CountDeadLettered();
        for (var i = 0; i < 5; i++) stats.AddRecent(0, i, [i, -i], i % 2);

        var report = stats.Snapshot();

        Assert.Equal(("1", 5L, 200L, 1L, 1L), (report.Replica, report.MessagesIn, report.MessagesOut, report.Errors, report.DeadLettered));
        Assert.Equal(150, report.LatencyP50Ms); // the window holds the last 100 deliveries: 101..200 ms
        Assert.Equal(199, report.LatencyP99Ms);
        Assert.Equal([4L, 3L, 2L], report.Recent!.Select(r => r.Offset));
        Assert.Equal([4f, -4f], report.Recent![0].Values);
    }

    [Fact]
    public void Stats_before_any_delivery_have_no_latency()
    {
        var report = new InferenceStats("0").Snapshot();

        Assert.Null(report.LatencyP50Ms);
        Assert.Null(report.LatencyP99Ms);
        Assert.Empty(report.Recent!);
    }
}
