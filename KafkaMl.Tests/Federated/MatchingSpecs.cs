using KafkaMl.Core.Federated;

namespace KafkaMl.Tests.Federated;

public sealed class MatchingSpecs
{
    internal static readonly ModelAnnouncement Model = new()
    {
        ResultId = 4,
        DeploymentId = 2,
        InputShape = [4],
        OutputShape = [3],
        DataRestriction = new JsonObject { ["source"] = "clinic", ["unit"] = "mg" },
        MinData = 1000,
        GlobalTopic = FederatedTopics.Global(4),
        UpdateTopic = FederatedTopics.Updates(4),
        Training = new LocalTrainingSettings(32, 1, 0.01, "adam", "cross_entropy", ["accuracy"], true, 42, 0.1),
    };

    [Fact]
    public void A_dataset_of_the_models_shape_restrictions_in_any_key_order_and_enough_samples_matches()
    {
        Assert.Null(DatasetMatcher.Mismatch(Model, Dataset(1200, "4", """{"unit": "mg", "source": "clinic"}""")));
    }

    [Fact]
    public void Restrictions_sent_as_a_string_holding_an_object_as_Kafka_MLs_sinks_send_them_match_too()
    {
        Assert.Null(DatasetMatcher.Mismatch(Model, Dataset(1200, "4", "\"{\\\"source\\\": \\\"clinic\\\", \\\"unit\\\": \\\"mg\\\"}\"")));
    }

    [Fact]
    public void A_dataset_of_the_same_values_in_another_layout_matches_as_training_reshapes_it()
    {
        Assert.Null(DatasetMatcher.Mismatch(Model, Dataset(1200, "2 2", """{"source": "clinic", "unit": "mg"}""")));
    }

    [Fact]
    public void A_dataset_of_another_shape_is_ignored_saying_both_shapes()
    {
        var why = DatasetMatcher.Mismatch(Model, Dataset(1200, "3", """{"source": "clinic", "unit": "mg"}"""));

        Assert.Equal("dataset 'k' has samples of shape [3], the model of result 4 takes [4].", why);
    }

    [Fact]
    public void A_dataset_with_other_restrictions_is_ignored()
    {
        Assert.Contains("asks for", DatasetMatcher.Mismatch(Model, Dataset(1200, "4", """{"source": "clinic"}""")));
    }

    [Fact]
    public void A_dataset_below_min_data_is_ignored_but_an_incremental_one_has_no_size_check()
    {
        Assert.Contains("holds 999 samples", DatasetMatcher.Mismatch(Model, Dataset(999, "4", """{"source": "clinic", "unit": "mg"}""")));

        var online = SiteDataset.Read("k", Encoding.UTF8.GetBytes(
            """{"topic": "site-data", "incremental": true, "input_format": "RAW", "input_config": {"data_type": "float32", "label_type": "uint8", "data_reshape": "4"}, "dataset_restrictions": {"source": "clinic", "unit": "mg"}}"""));
        Assert.Null(DatasetMatcher.Mismatch(Model, online));
    }

    [Fact]
    public void Restrictions_that_are_not_an_object_make_the_dataset_message_unusable()
    {
        var error = Assert.Throws<ControlMessageException>(() => Dataset(10, "4", "[1, 2]"));

        Assert.Contains("dataset_restrictions must be a JSON object", error.Message);
    }

    [Fact]
    public void An_announcement_reads_back_as_written()
    {
        var read = ModelAnnouncement.Parse(Model.ToUtf8Json());

        Assert.Equal(Model.DataRestriction.ToJsonString(), read.DataRestriction.ToJsonString());
        Assert.Equal([4L], read.InputShape!);
        Assert.Equal(Model.Training, read.Training with { Metrics = Model.Training.Metrics });
        Assert.Equal(Model.UpdateTopic, read.UpdateTopic);
    }

    internal static SiteDataset Dataset(long samples, string reshape, string restrictions) => SiteDataset.Read("k", Encoding.UTF8.GetBytes(
        $$"""{"topic": "site-data:0:0:{{samples}}", "input_format": "RAW", "input_config": {"data_type": "float32", "label_type": "uint8", "data_reshape": "{{reshape}}"}, "validation_rate": 0.1, "test_rate": 0, "total_msg": {{samples}}, "dataset_restrictions": {{restrictions}}}"""));
}
