namespace KafkaMl.Tests.Scripting;

public sealed class ModelInputShapeSpecs
{
    [Theory]
    [InlineData("3", new long[] { 3 })]
    [InlineData("1 28 28", new long[] { 1, 28, 28 })]
    [InlineData(" 1, 28,28 ", new long[] { 1, 28, 28 })]
    public void Dimensions_separated_by_spaces_or_commas_are_parsed(string text, long[] expected)
    {
        Assert.Equal(expected, ModelInputShape.Parse(text));
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("3 0", "'0'")]
    [InlineData("3 -1", "'-1'")]
    [InlineData("three", "'three'")]
    [InlineData("1 1 1 1 1 1 1 1 1", "at most 8")]
    public void A_bad_shape_is_refused_with_the_reason(string text, string reason)
    {
        Assert.False(ModelInputShape.TryParse(text, out _, out var error));
        Assert.Contains(reason, error);
    }

    [Fact]
    public void A_shape_formats_as_the_verb_reads_it()
    {
        Assert.Equal("1 28 28", ModelInputShape.Format([1, 28, 28]));
    }
}
