namespace KafkaMl.Tests.Inference;

/// <summary>The inference engine in this process, against the embedded broker.</summary>
[Collection(InferenceBrokerCollection.Name)]
public sealed class InferenceEngineSpecs(BrokerFixture broker, ITestOutputHelper output)
{
    [Fact]
    public async Task Each_input_gets_the_in_process_prediction_with_its_key_headers_partition_and_offset()
    {
        var topics = broker.NewInferenceTopics();
        using var module = InferenceModels.Hcopd();
        var inputs = await broker.ProduceAsync(topics.Input, InferenceInputs.Messages(40));

        await using (var running = Start(topics, InferenceModels.Served(module)))
        {
            var answers = broker.ReadAnswers(topics.Output, inputs.Select(KeyOf).ToList());

            var predictor = new InferenceModel(module, InferenceModels.Scaler, Loss.CrossEntropy);
            Assert.Equal(40, answers.Count);
            foreach (var answer in answers)
            {
                var key = BrokerFixture.KeyOf(answer);
                var input = inputs.Single(i => KeyOf(i) == key);
                var expected = predictor.Predict(InferenceInputs.Decoder.Decode(default, input.Message.Value).Features);
                var prediction = InferenceInputs.Parse(answer);
                Assert.Equal(expected.Values.Length, prediction.Values.Count);
                for (var v = 0; v < expected.Values.Length; v++) Assert.Equal(expected.Values[v], prediction.Values[v]!.Value, 1e-5);
                Assert.Equal(expected.Class, prediction.Prediction);
                Assert.Equal("hcopd", prediction.Model);
                Assert.Equal((input.Partition.Value, input.Offset.Value), (prediction.Partition, prediction.Offset));
                Assert.Equal(Encoding.UTF8.GetString(input.Message.Headers.GetLastBytes("trace")), Encoding.UTF8.GetString(answer.Message.Headers.GetLastBytes("trace")));
            }
            Assert.StartsWith("{\"values\":[", Encoding.UTF8.GetString(answers[0].Message.Value!), StringComparison.Ordinal);
            await Eventually.Until(() => running.Engine.Stats.MessagesOut == 40, "40 deliveries counted");
            Assert.Equal((40L, 40L, 0L, 0L), (running.Engine.Stats.MessagesIn, running.Engine.Stats.MessagesOut, running.Engine.Stats.Errors, running.Engine.Stats.DeadLettered));
        }
    }

    [Fact]
    public async Task A_message_of_the_wrong_length_is_dead_lettered_with_the_error_and_the_messages_after_it_are_still_predicted()
    {
        var topics = broker.NewInferenceTopics();
        using var module = InferenceModels.Hcopd();
        var good = InferenceInputs.Messages(10).ToList();
        var undecodable = new Message<byte[]?, byte[]?> { Key = "bad-7"u8.ToArray(), Value = new byte[7], Headers = new Headers { { "trace", "t-bad"u8.ToArray() } } };
        var misshapen = new Message<byte[]?, byte[]?> { Key = "bad-8"u8.ToArray(), Value = new byte[8] };
        var inputs = await broker.ProduceAsync(topics.Input, [.. good[..5], undecodable, misshapen, .. good[5..]], partition: 0);

        await using var running = Start(topics, InferenceModels.Served(module));
        var answers = broker.ReadAnswers(topics.Output, good.Select(m => Encoding.UTF8.GetString(m.Key!)).ToList());
        var deadLetters = broker.ReadUntil(topics.DeadLetters, all => all.Count >= 2);

        Assert.Equal(10, answers.Count);
        Assert.Equal(["bad-7", "bad-8"], deadLetters.Select(BrokerFixture.KeyOf));
        var first = deadLetters[0];
        Assert.Equal(new byte[7], first.Message.Value);
        Assert.Equal("t-bad", Encoding.UTF8.GetString(first.Message.Headers.GetLastBytes("trace")));
        Assert.Contains("7 bytes", DeadLetters.ErrorOf(first.Message.Headers));
        Assert.Equal($"{topics.Input}:0:{inputs[5].Offset.Value}", DeadLetters.SourceOf(first.Message.Headers));
        Assert.Contains("model was trained on samples of 3 values", DeadLetters.ErrorOf(deadLetters[1].Message.Headers));
        output.WriteLine($"dead-letter reasons: {string.Join(" | ", deadLetters.Select(d => DeadLetters.ErrorOf(d.Message.Headers)))}");
        await Eventually.Until(() => running.Engine.Stats.DeadLettered == 2 && running.Engine.Stats.MessagesOut == 10, "the dead letters and predictions counted");
        Assert.Equal((12L, 2L), (running.Engine.Stats.MessagesIn, running.Engine.Stats.Errors));
    }

    [Fact]
    public async Task A_message_the_model_fails_on_is_isolated_from_its_batch_and_dead_lettered()
    {
        var topics = broker.NewInferenceTopics();
        using var inner = InferenceModels.Hcopd();
        using var picky = new PickyModel(inner);
        var messages = InferenceInputs.Messages(30).ToList();
        var poison = new Message<byte[]?, byte[]?> { Key = "poison"u8.ToArray(), Value = InferenceInputs.Encoder.Encode([1, 5000, 2], default).Value };
        await broker.ProduceAsync(topics.Input, [.. messages[..15], poison, .. messages[15..]], partition: 0);

        // Queued before the engine starts, so they come as one micro-batch and the model fails on it.
        await using var running = Start(topics, new InferenceModel(picky, scaler: null, Loss.CrossEntropy));
        var answers = broker.ReadAnswers(topics.Output, messages.Select(m => Encoding.UTF8.GetString(m.Key!)).ToList());
        var deadLetters = broker.ReadUntil(topics.DeadLetters, all => all.Count >= 1);

        Assert.Equal(30, answers.Count);
        Assert.Equal("poison", BrokerFixture.KeyOf(Assert.Single(deadLetters)));
        Assert.Contains("a feature above 1000 is not allowed", DeadLetters.ErrorOf(deadLetters[0].Message.Headers));
        await Eventually.Until(() => running.Engine.Stats.DeadLettered == 1, "the dead letter counted");
        Assert.True(running.Engine.Model.ModelCalls > running.Engine.Stats.Batches, "the failed batch was retried message by message");
    }

    [Fact]
    public async Task A_burst_of_queued_messages_takes_fewer_forward_passes_than_messages_and_a_lone_message_goes_alone()
    {
        var topics = broker.NewInferenceTopics();
        using var module = InferenceModels.Hcopd();
        await broker.ProduceAsync(topics.Input, InferenceInputs.Messages(500));

        await using var running = Start(topics, InferenceModels.Served(module));
        var stats = running.Engine.Stats;
        await Eventually.Until(() => stats.MessagesOut == 500, "the burst predicted");
        output.WriteLine($"burst: 500 messages in {stats.Batches} forward passes, largest {stats.LargestBatch}");
        Assert.True(stats.Batches < 500, $"{stats.Batches} forward passes for 500 queued messages");
        Assert.True(stats.LargestBatch > 1);

        var before = stats.Batches;
        await broker.ProduceAsync(topics.Input, [InferenceInputs.Message(1, "lone")]);
        await Eventually.Until(() => stats.MessagesOut == 501, "the lone message predicted");
        Assert.Equal(before + 1, stats.Batches);
    }

    [Fact]
    public async Task Stopping_mid_stream_and_starting_again_in_the_same_group_answers_every_input()
    {
        var topics = broker.NewInferenceTopics();
        using var module = InferenceModels.Hcopd();
        const int count = 1500;
        using var stopSending = new CancellationTokenSource();
        var sending = Task.Run(async () =>
        {
            for (var start = 0; start < count; start += 50)
            {
                await broker.ProduceAsync(topics.Input, Enumerable.Range(start, 50).Select(i => InferenceInputs.Message(i)));
                await Task.Delay(20);
            }
        });

        var first = Start(topics, InferenceModels.Served(module));
        await Eventually.Until(() => first.Engine.Stats.MessagesOut >= 300, "the first engine under way");
        await first.DisposeAsync();
        var answeredByFirst = first.Engine.Stats.MessagesOut;
        Assert.False(sending.IsCompleted, "the first engine stopped mid-stream");

        await using var second = Start(topics, InferenceModels.Served(module));
        await sending;
        var keys = Enumerable.Range(0, count).Select(i => $"k{i}").ToList();
        var answers = broker.ReadAnswers(topics.Output, keys);

        var perKey = answers.GroupBy(BrokerFixture.KeyOf).ToDictionary(g => g.Key, g => g.Count());
        var duplicates = perKey.Values.Sum(n => n - 1);
        output.WriteLine($"first engine answered {answeredByFirst}, duplicates after the restart: {duplicates}");
        Assert.All(keys, k => Assert.True(perKey.ContainsKey(k), $"{k} has no prediction"));
        Assert.Equal(count, perKey.Count);
    }

    // ---- helpers ----

    private RunningEngine Start(InferenceTopics topics, InferenceModel model)
    {
        var engine = new InferenceEngine(model, new RawDecoder(new RawFormatConfig()), new InferenceEngineOptions
        {
            BootstrapServers = broker.BootstrapServers,
            InputTopic = topics.Input,
            OutputTopic = topics.Output,
            ConsumerGroup = topics.Group,
            ModelName = "hcopd",
        });
        var stop = new CancellationTokenSource();
        return new RunningEngine(engine, engine.RunAsync(null, stop.Token), stop);
    }

    private static string KeyOf(DeliveryResult<byte[]?, byte[]?> result) => Encoding.UTF8.GetString(result.Message.Key!);

    private sealed record RunningEngine(InferenceEngine Engine, Task Run, CancellationTokenSource Stop) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Stop.CancelAsync();
            await Run.WaitAsync(Eventually.Patience);
            Stop.Dispose();
        }
    }
}
