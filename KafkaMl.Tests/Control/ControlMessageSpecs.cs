namespace KafkaMl.Tests.Control;

public sealed class ControlMessageSpecs
{
    [Fact]
    public void A_message_from_kafka_mls_sink_parses_field_by_field()
    {
        var message = ControlMessage.Parse(ControlMessageBuilder.KafkaMl().Utf8());

        Assert.Equal("data:0:0:120,data:1:0:119", message.Topic);
        Assert.Equal("RAW", message.InputFormat);
        Assert.Equal("float32", message.InputConfig.GetString("data_type"));
        Assert.Equal("COPD dataset", message.Description);
        Assert.Equal(0.1, message.ValidationRate);
        Assert.Equal(0.1, message.TestRate);
        Assert.Equal(239, message.TotalMsg);
        Assert.Null(message.UnsupervisedTopic);
        Assert.False(message.Incremental);
        Assert.Empty(message.Validate());
        Assert.Equal([new TopicRange("data", 0, 0, 120), new TopicRange("data", 1, 0, 119)], message.GetRanges());
    }

    [Fact]
    public void A_produced_message_parses_back_to_the_same_content()
    {
        var sent = ControlMessage.ForRanges(
            [new TopicRange("hcopd", 0, 10, 70), new TopicRange("hcopd", 3, 0, 5)], "avro",
            InputConfig.From(new AvroFormatConfig("\"float\"", "\"boolean\"").ToJson()), "HCOPD", 0.2, 0.1)
            with { UnsupervisedTopic = "unlabelled:0:0:4", DatasetRestrictions = new JsonObject { ["features"] = 3 } };

        var received = ControlMessage.Parse(sent.ToUtf8Json());

        Assert.Equal(sent.Topic, received.Topic);
        Assert.Equal("AVRO", received.InputFormat);
        Assert.Equal(sent.InputConfig.ToString(), received.InputConfig.ToString());
        Assert.Equal("HCOPD", received.Description);
        Assert.Equal(0.2, received.ValidationRate);
        Assert.Equal(0.1, received.TestRate);
        Assert.Equal(65, received.TotalMsg);
        Assert.Equal("unlabelled:0:0:4", received.UnsupervisedTopic);
        Assert.Equal("""{"features":3}""", received.DatasetRestrictions!.ToJsonString());
        Assert.Empty(received.Validate());
    }

    [Fact]
    public void The_produced_json_uses_kafka_mls_snake_case_fields_with_input_config_as_an_object()
    {
        var json = JsonNode.Parse(ControlMessage.ForRanges([new TopicRange("data", 0, 0, 3)], "RAW", InputConfig.From(new RawFormatConfig().ToJson())).ToJson())!.AsObject();

        Assert.Equal(
            ["topic", "input_format", "input_config", "description", "validation_rate", "test_rate", "total_msg", "unsupervised_topic", "dataset_restrictions", "incremental"],
            json.Select(p => p.Key));
        Assert.IsType<JsonObject>(json["input_config"]);
        Assert.Equal(3, json["total_msg"]!.GetValue<long>());
    }

    [Fact]
    public void Missing_optional_fields_take_their_defaults()
    {
        var message = ControlMessage.Parse("""{"topic": "data:0:0:10,data:1:5:10"}""");

        Assert.Equal("RAW", message.InputFormat);
        Assert.Empty(message.InputConfig.Keys);
        Assert.Equal("", message.Description);
        Assert.Equal(0, message.ValidationRate);
        Assert.Equal(0, message.TestRate);
        Assert.Equal(15, message.TotalMsg);
        Assert.Null(message.UnsupervisedTopic);
        Assert.Null(message.DatasetRestrictions);
        Assert.False(message.Incremental);
        Assert.Empty(message.Validate());
    }

    [Fact]
    public void Unknown_fields_are_ignored()
    {
        var json = ControlMessageBuilder.KafkaMl().With("configuration", new JsonObject { ["x"] = 1 }).With("federated", true).Utf8();

        Assert.Empty(ControlMessage.Parse(json).Validate());
    }

    [Fact]
    public void Input_config_sent_as_a_json_string_is_read_as_the_object_it_holds()
    {
        var json = ControlMessageBuilder.KafkaMl()
            .With("input_config", """{"data_type": "uint8", "label_type": "uint8", "data_reshape": "28 28", "label_reshape": ""}""")
            .Utf8();

        var message = ControlMessage.Parse(json);

        Assert.Equal("28 28", message.InputConfig.GetString("data_reshape"));
        Assert.IsType<RawDecoder>(message.CreateDecoder());
    }

    [Fact]
    public void Input_config_under_its_old_name_configuration_is_read()
    {
        // Kafka-ML's first sink.py sent 'configuration' (and no test_rate)
        var json = ControlMessageBuilder.KafkaMl()
            .With("configuration", new JsonObject { ["data_type"] = "uint8", ["label_type"] = "uint8", ["data_reshape"] = "28 28" })
            .Without("input_config").Without("test_rate")
            .Utf8();

        var message = ControlMessage.Parse(json);

        Assert.Equal("28 28", message.InputConfig.GetString("data_reshape"));
        Assert.Equal(0, message.TestRate);
        Assert.Empty(message.Validate());
    }

    [Fact]
    public void Dataset_restrictions_sent_as_a_string_are_kept_as_sent()
    {
        var message = ControlMessage.Parse(ControlMessageBuilder.KafkaMl().With("dataset_restrictions", """{"features": {"type": "uint8"}}""").Utf8());

        Assert.Equal("""{"features": {"type": "uint8"}}""", message.DatasetRestrictions!.GetValue<string>());
        Assert.Empty(message.Validate());
    }

    [Fact]
    public void Numbers_sent_as_strings_are_read()
    {
        var message = ControlMessage.Parse(ControlMessageBuilder.KafkaMl().With("validation_rate", "0.25").With("total_msg", "239").Utf8());

        Assert.Equal(0.25, message.ValidationRate);
        Assert.Equal(239, message.TotalMsg);
    }

    [Fact]
    public void An_online_message_naming_a_bare_topic_is_valid()
    {
        // OnlineRawSink's message: the topic name, no ranges, total_msg null, incremental true
        var message = ControlMessage.Parse(ControlMessageBuilder.KafkaMl()
            .With("topic", "mnist_online").With("total_msg", null).With("incremental", true).Utf8());

        Assert.True(message.IsOpenStream);
        Assert.Null(message.TotalMsg);
        Assert.Empty(message.Validate());
    }

    [Fact]
    public void A_bounded_message_with_unsupervised_ranges_is_valid_and_written_back_the_same()
    {
        var message = ControlMessage.Parse(ControlMessageBuilder.KafkaMl().With("unsupervised_topic", "u:0:0:400,u:1:0:380").Utf8());

        Assert.Empty(message.Validate());
        Assert.Equal(780, TopicRanges.Total(TopicRanges.Parse(message.UnsupervisedTopic!)));
        Assert.Equal("u:0:0:400,u:1:0:380", ControlMessage.Parse(message.ToUtf8Json()).UnsupervisedTopic);
    }

    [Fact]
    public void An_online_semi_supervised_message_with_labelled_ranges_and_a_bare_unsupervised_topic_is_valid()
    {
        // Kafka-ML's online semi-supervised message: the labelled part measured first, then the unlabelled topic streamed
        var message = ControlMessage.Parse(ControlMessageBuilder.KafkaMl().With("incremental", true).With("unsupervised_topic", "mnist_unlabelled").Utf8());

        Assert.Empty(message.Validate());
        Assert.False(message.IsOpenStream);
        Assert.Equal(239, message.TotalMsg);
        Assert.Equal("mnist_unlabelled", ControlMessage.Parse(message.ToUtf8Json()).UnsupervisedTopic);
    }

    [Fact]
    public void A_bare_unsupervised_topic_that_is_no_topic_name_is_rejected()
    {
        var message = ControlMessage.Parse(ControlMessageBuilder.KafkaMl().With("unsupervised_topic", "no spaces allowed").Utf8());

        Assert.StartsWith("unsupervised_topic: ", Assert.Single(message.Validate()));
    }

    public static TheoryData<string, JsonNode?, string> Rejections() => new()
    {
        { "topic", "", "topic" },
        { "topic", "data:0:50:40", "end offset 40 is before the start offset 50" },
        { "topic", "data:-1:0:10", "partition -1 is negative" },
        { "topic", "data:0:0", "not topic:partition:start:end" },
        { "topic", "data:0:0:0", "hold no messages" },
        { "validation_rate", 1.0, "validation_rate 1 is outside [0, 1)" },
        { "validation_rate", -0.1, "validation_rate -0.1 is outside [0, 1)" },
        { "test_rate", 1.5, "test_rate 1.5 is outside [0, 1)" },
        { "test_rate", 0.9, "validation_rate + test_rate = 1 leaves nothing to train on" },
        { "total_msg", 240, "total_msg 240 does not equal the 239 messages" },
        { "input_format", "CSV", "input_format 'CSV' is not a known input format" },
        { "unsupervised_topic", "u:0:9:3", "unsupervised_topic: 'u:0:9:3'" },
    };

    [Theory]
    [MemberData(nameof(Rejections))]
    public void An_invalid_message_is_rejected_with_a_clear_reason(string field, JsonNode? value, string reason)
    {
        var message = ControlMessage.TryParse(ControlMessageBuilder.KafkaMl().With(field, value).Utf8(), out var parsed, out var problem)
            ? parsed!.Validate()
            : [problem!];

        Assert.Contains(message, p => p.Contains(reason));
    }

    [Fact]
    public void An_unknown_data_type_in_input_config_is_rejected()
    {
        var message = ControlMessage.Parse(ControlMessageBuilder.KafkaMl().WithConfig("data_type", "complex128").Utf8());

        var problem = Assert.Single(message.Validate());
        Assert.Contains("data_type 'complex128' is not a known data type", problem);
    }

    [Theory]
    [InlineData("not json", "not valid JSON")]
    [InlineData("[1, 2]", "must be a JSON object")]
    [InlineData("""{"input_format": "RAW"}""", "has no topic")]
    [InlineData("""{"topic": "d:0:0:1", "validation_rate": "a tenth"}""", "validation_rate must be a number")]
    [InlineData("""{"topic": "d:0:0:1", "total_msg": 1.5}""", "total_msg must be a whole number")]
    [InlineData("""{"topic": "d:0:0:1", "input_config": "not an object"}""", "input_config is not a JSON object")]
    public void A_value_that_is_not_a_control_message_is_rejected_when_parsed(string json, string reason)
    {
        var error = Assert.Throws<ControlMessageException>(() => ControlMessage.Parse(json));

        Assert.Contains(reason, error.Message);
    }

    [Fact]
    public void Reading_off_the_topic_decodes_the_key_and_validates_the_value()
    {
        var received = ControlMessage.Read([5], ControlMessageBuilder.KafkaMl().Utf8());

        Assert.Equal(5, received.DeploymentId);
        Assert.Equal(239, received.Message.TotalMsg);
    }

    [Fact]
    public void Reading_an_invalid_message_off_the_topic_gives_the_reason()
    {
        var ok = ControlMessage.TryRead(Encoding.ASCII.GetBytes("12"), ControlMessageBuilder.KafkaMl().With("total_msg", 1).Utf8(), out _, out var problem);

        Assert.False(ok);
        Assert.Contains("total_msg 1 does not equal", problem);
    }
}
