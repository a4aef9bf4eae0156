using KafkaMl.Web.Cli;

namespace KafkaMl.Tests.Cli;

public sealed class ConsoleProgressSpecs
{
    private static readonly SinkProgress Halfway = new(Sent: 1_200, Delivered: 1_100, Bytes: 19_200, Elapsed: TimeSpan.FromSeconds(2));

    [Fact]
    public void The_bar_shows_the_percentage_the_counts_the_bytes_and_the_rate_when_the_total_is_known()
    {
        var bar = ConsoleProgress.FormatBar(Halfway, total: 2_400, "send");

        Assert.Equal("send [===========>            ]  50%  1,200/2,400 msgs  acked 1,100  18.8 KiB  600 msg/s  0:02", bar);
    }

    [Fact]
    public void Without_a_total_the_bar_shows_the_counts_without_a_percentage()
    {
        var bar = ConsoleProgress.FormatBar(Halfway, total: null, "send");

        Assert.StartsWith("send 1,200 msgs  acked 1,100", bar);
        Assert.DoesNotContain("%", bar);
    }

    [Fact]
    public void Off_a_terminal_each_rendering_is_one_plain_line()
    {
        var output = new StringWriter();
        var progress = new ConsoleProgress(output, interactive: false, total: 2_400, "send");

        progress.Render(Halfway);
        progress.Finish(Halfway with { Sent = 2_400, Delivered = 2_400 });

        Assert.Equal(
            ["send: 1,200/2,400 messages (50%), 1,100 acknowledged, 18.8 KiB, 600 msg/s, 2.000 s",
             "send: 2,400/2,400 messages (100%), 2,400 acknowledged, 18.8 KiB, 1,200 msg/s, 2.000 s"],
            output.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void On_a_terminal_the_bar_is_redrawn_in_place_and_ends_its_line_when_finished()
    {
        var output = new StringWriter();
        var progress = new ConsoleProgress(output, interactive: true, total: 2_400, "send");

        progress.Render(Halfway);
        progress.Finish(Halfway with { Sent = 2_400, Delivered = 2_400 });

        var text = output.ToString();
        Assert.Equal(2, text.Count(c => c == '\r'));
        Assert.EndsWith(Environment.NewLine, text);
        Assert.Contains("100%", text);
    }

    [Theory]
    [InlineData(512, "512 B")]
    [InlineData(3_824, "3.7 KiB")]
    [InlineData(5_452_595, "5.2 MiB")]
    public void Bytes_are_shown_in_binary_units(long bytes, string expected) =>
        Assert.Equal(expected, ConsoleProgress.Bytes(bytes));
}
