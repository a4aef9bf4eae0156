using KafkaMl.Web.Cli;

namespace KafkaMl.Tests.Cli;

/// <summary>What the <c>infer</c> verb and the engine refuse before starting anything.</summary>
public sealed class InferVerbUsageSpecs
{
    [Theory]
    [InlineData("--input-topic", "in")]
    [InlineData("--inference", "3", "--model-script", "model.csx")]
    [InlineData("--model-script", "model.csx", "--weights", "w.bin", "--input-topic", "in", "--output-topic", "out")]
    [InlineData("--inference", "0")]
    [InlineData("--inference", "3", "--portal", "ftp://portal")]
    [InlineData("--inference", "3", "--no-such-option")]
    [InlineData("--inference", "3", "--group-protocol", "fast")]
    [InlineData("--inference", "3", "--group-protocol", "1")]
    public async Task Infer_with_an_incomplete_or_contradictory_command_line_is_a_usage_error(params string[] args)
    {
        Assert.Equal(InferVerb.BadUsage, await InferVerb.RunAsync(args, CancellationToken.None));
    }

    [Theory]
    [InlineData("same", "same", "must differ")]
    [InlineData("in put", "out", "characters Kafka rejects")]
    public void An_engine_refuses_topics_that_cannot_work(string input, string output, string reason)
    {
        var options = new InferenceEngineOptions { BootstrapServers = "127.0.0.1:9092", InputTopic = input, OutputTopic = output, ConsumerGroup = "g" };

        Assert.Contains(reason, Assert.Throws<ArgumentException>(options.Validate).Message);
    }
}
