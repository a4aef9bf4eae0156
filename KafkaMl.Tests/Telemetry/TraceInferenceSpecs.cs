using System.Diagnostics;
using KafkaMl.Core.Telemetry;
using KafkaMl.Tests.Inference;
using OpenTelemetry;
using OpenTelemetry.Trace;

namespace KafkaMl.Tests.Telemetry;

/// <summary>
/// One input followed through a real replica (the engine in this process, against the embedded broker) with an
/// in-memory OpenTelemetry exporter: the replica's span of an input continues the producer's trace, and its answer
/// carries the trace on.
/// </summary>
[Collection(InferenceBrokerCollection.Name)]
public sealed class TraceInferenceSpecs(BrokerFixture broker)
{
    private readonly ActivityTraceId _trace = ActivityTraceId.CreateRandom();
    private readonly ActivitySpanId _producerSpan = ActivitySpanId.CreateRandom();

    [Fact]
    public async Task The_replicas_span_of_an_input_is_a_child_of_the_producers_traceparent_and_the_prediction_and_dead_letter_carry_that_trace()
    {
        var exported = new List<Activity>();
        var topics = broker.NewInferenceTopics();
        using var module = InferenceModels.Hcopd();
        var traced = Traced(InferenceInputs.Message(1, "traced-"));
        var untraced = InferenceInputs.Message(2, "untraced-");
        var undecodable = Traced(new Message<byte[]?, byte[]?> { Key = "bad"u8.ToArray(), Value = new byte[7] });
        await broker.ProduceAsync(topics.Input, [traced, untraced, undecodable], partition: 0);

        IReadOnlyList<ConsumeResult<byte[]?, byte[]?>> answers, deadLetters;
        using (Sdk.CreateTracerProviderBuilder().AddSource(KafkaMlTelemetry.Name).AddInMemoryExporter(exported).Build())
        {
            var engine = new InferenceEngine(InferenceModels.Served(module), InferenceInputs.Decoder, new InferenceEngineOptions
            {
                BootstrapServers = broker.BootstrapServers,
                InputTopic = topics.Input,
                OutputTopic = topics.Output,
                ConsumerGroup = topics.Group,
                ModelName = "hcopd",
            });
            using var stop = new CancellationTokenSource();
            var run = engine.RunAsync(null, stop.Token);
            answers = broker.ReadAnswers(topics.Output, ["traced-1", "untraced-2"]);
            deadLetters = broker.ReadUntil(topics.DeadLetters, all => all.Count >= 1);
            await stop.CancelAsync();
            await run.WaitAsync(Eventually.Patience); // stopped: every answer delivered, so every span ended
        }

        var spans = exported.Where(s => s.DisplayName == $"process {topics.Input}").ToList();
        Assert.Equal(3, spans.Count);
        var inTrace = spans.Where(s => s.TraceId == _trace).OrderBy(s => (long)s.GetTagItem("messaging.kafka.offset")!).ToList();
        Assert.Equal(2, inTrace.Count);
        Assert.All(inTrace, s => Assert.Equal((_producerSpan, ActivityKind.Consumer), (s.ParentSpanId, s.Kind)));
        var (answered, deadLettered) = (inTrace[0], inTrace[1]);
        Assert.Equal(ActivityStatusCode.Unset, answered.Status);
        Assert.Equal(ActivityStatusCode.Error, deadLettered.Status);

        var prediction = TraceParentOf(answers.Single(a => BrokerFixture.KeyOf(a) == "traced-1"));
        Assert.Equal((_trace, answered.SpanId), (prediction.TraceId, prediction.SpanId));
        var deadLetter = TraceParentOf(Assert.Single(deadLetters));
        Assert.Equal((_trace, deadLettered.SpanId), (deadLetter.TraceId, deadLetter.SpanId));

        // Kafka-ML's own producers send no traceparent: the replica starts a trace of its own, which its prediction carries.
        var root = Assert.Single(spans, s => s.TraceId != _trace);
        Assert.Equal(default, root.ParentSpanId);
        var rootPrediction = TraceParentOf(answers.Single(a => BrokerFixture.KeyOf(a) == "untraced-2"));
        Assert.Equal((root.TraceId, root.SpanId), (rootPrediction.TraceId, rootPrediction.SpanId));
    }

    private Message<byte[]?, byte[]?> Traced(Message<byte[]?, byte[]?> message)
    {
        message.Headers ??= new Headers();
        message.Headers.Add(KafkaMlTelemetry.TraceParentHeader, Encoding.UTF8.GetBytes($"00-{_trace}-{_producerSpan}-01"));
        return message;
    }

    private static ActivityContext TraceParentOf(ConsumeResult<byte[]?, byte[]?> message)
    {
        var parent = TracePropagation.ParentOf(message.Message.Headers);
        Assert.NotEqual(default, parent);
        return parent;
    }
}
