namespace KafkaMl.Tests.Domain;

public sealed class EnumNamesSpecs
{
    [Theory]
    [InlineData(TrainingStatus.Deployed, "deployed")]
    [InlineData(TrainingStatus.Finished, "finished")]
    [InlineData(TrainingStatus.Stopped, "stopped")]
    public void Training_statuses_are_lowercase_in_json(TrainingStatus status, string name)
    {
        Assert.Equal($"\"{name}\"", JsonSerializer.Serialize(status, JsonSerializerOptions.Web));
        Assert.Equal(status, JsonSerializer.Deserialize<TrainingStatus>($"\"{name}\"", JsonSerializerOptions.Web));
    }

    [Fact]
    public void Optimizers_and_losses_use_the_documented_names()
    {
        Assert.Equal(["sgd", "adam", "adamw", "rmsprop"], EnumNames.Names<Optimizer>());
        Assert.Equal(["cross_entropy", "binary_cross_entropy", "mse", "mae"], EnumNames.Names<Loss>());
        Assert.Equal("\"cross_entropy\"", JsonSerializer.Serialize(Loss.CrossEntropy));
    }

    [Theory]
    [InlineData("adamw", Optimizer.AdamW)]
    [InlineData("AdamW", Optimizer.AdamW)]
    [InlineData(" RMSPROP ", Optimizer.RmsProp)]
    public void Names_parse_ignoring_case(string name, Optimizer expected)
    {
        Assert.True(EnumNames.TryParse<Optimizer>(name, out var parsed));
        Assert.Equal(expected, parsed);
    }

    [Fact]
    public void An_unknown_name_does_not_parse()
    {
        Assert.False(EnumNames.TryParse<Loss>("hinge", out _));
        Assert.Contains("cross_entropy", Assert.Throws<FormatException>(() => EnumNames.Parse<Loss>("hinge")).Message);
    }
}
