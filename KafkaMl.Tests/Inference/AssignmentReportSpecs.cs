namespace KafkaMl.Tests.Inference;

/// <summary>Replicas report the partitions they hold; the API counts the partitions assigned over the live replicas.</summary>
[Collection(InferenceBrokerCollection.Name)]
public sealed class AssignmentReportSpecs(BrokerFixture broker)
{
    [Fact]
    public async Task A_replicas_stats_report_carries_the_partitions_it_holds()
    {
        var topics = broker.NewInferenceTopics(partitions: 3);
        using var module = InferenceModels.Hcopd();
        var engine = new InferenceEngine(InferenceModels.Served(module), new RawDecoder(new RawFormatConfig()), new InferenceEngineOptions
        {
            BootstrapServers = broker.BootstrapServers,
            InputTopic = topics.Input,
            OutputTopic = topics.Output,
            ConsumerGroup = topics.Group,
        });
        using var stop = new CancellationTokenSource();
        var run = engine.RunAsync(null, stop.Token);

        var report = await Eventually.Until(() => engine.Stats.Snapshot(), r => r.Partitions?.Count == 3, "a report with the 3 partitions");
        await stop.CancelAsync();
        await run.WaitAsync(Eventually.Patience);

        Assert.Equal([0, 1, 2], report.Partitions);
        var sent = JsonSerializer.Deserialize<InferenceStatsReport>(JsonSerializer.Serialize(report, JsonSerializerOptions.Web), JsonSerializerOptions.Web)!;
        Assert.Equal([0, 1, 2], sent.Partitions);
    }

    [Fact]
    public void The_api_counts_each_partition_held_by_a_live_replica_once_and_older_replicas_report_none()
    {
        var older = JsonSerializer.Deserialize<InferenceStatsReport>("""{"replica":"2","messagesIn":1,"messagesOut":1,"errors":0,"deadLettered":0}""", JsonSerializerOptions.Web)!;
        var reports = new[]
        {
            new InferenceStatsReport("0", 5, 5, 0, 0, null, null, null) { Partitions = [0, 1] },
            new InferenceStatsReport("1", 5, 5, 0, 0, null, null, null) { Partitions = [1, 3] },
            older,
        };

        var response = InferenceStatsResponse.From(new InferenceLiveStats(reports, 11, 11, 0, 0, [], []));

        Assert.Null(older.Partitions);
        Assert.Equal(3, response.AssignedPartitions);
    }
}
