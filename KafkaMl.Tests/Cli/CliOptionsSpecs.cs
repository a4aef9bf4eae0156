using KafkaMl.Web.Cli;

namespace KafkaMl.Tests.Cli;

public sealed class CliOptionsSpecs
{
    private static readonly string[] Valued = ["--count", "--name", "-X"];
    private static readonly string[] Flags = ["--quiet"];

    [Fact]
    public void Options_flags_and_positional_arguments_are_told_apart()
    {
        var options = CliOptions.Parse(["file.csv", "--count", "5", "--quiet", "other"], Valued, Flags);

        Assert.Equal(["file.csv", "other"], options.Positionals);
        Assert.Equal(5, options.Int("--count", 0));
        Assert.True(options.Flag("--quiet"));
    }

    [Fact]
    public void A_value_may_follow_an_equals_sign_and_a_repeated_option_keeps_every_value()
    {
        var options = CliOptions.Parse(["--name=a=b", "-X", "k=1", "-X", "j=2"], Valued, Flags);

        Assert.Equal("a=b", options.Get("--name"));
        Assert.Equal(["k=1", "j=2"], options.All("-X"));
    }

    [Fact]
    public void A_double_dash_ends_the_options()
    {
        var options = CliOptions.Parse(["--", "--count"], Valued, Flags);

        Assert.Equal(["--count"], options.Positionals);
    }

    [Theory]
    [InlineData("unknown option '--colour'.", "--colour")]
    [InlineData("--count needs a value.", "--count")]
    [InlineData("--quiet takes no value.", "--quiet=yes")]
    public void A_malformed_command_line_is_rejected_with_the_reason(string expected, params string[] args)
    {
        var error = Assert.Throws<CliUsageException>(() => CliOptions.Parse(args, Valued, Flags));

        Assert.Equal(expected, error.Message);
    }

    [Fact]
    public void A_number_out_of_range_names_the_option_and_the_range()
    {
        var options = CliOptions.Parse(["--count", "0"], Valued, Flags);

        var error = Assert.Throws<CliUsageException>(() => options.Int("--count", 1, min: 1));

        Assert.Equal("--count must be at least 1; got 0.", error.Message);
    }
}
