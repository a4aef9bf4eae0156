namespace KafkaMl.Tests.Sinks;

public sealed class CsvSamplesSpecs
{
    private const string Hcopd = "Diagnosis,Gender,Age,Smoking\n1,1,77,2\n0,0,72,3\n";

    [Fact]
    public void By_default_the_first_column_is_the_label_and_every_other_column_a_feature_in_file_order()
    {
        var samples = ReadAll(Hcopd);

        Assert.Equal(["1 77 2 -> 1", "0 72 3 -> 0"], samples);
    }

    [Fact]
    public void The_label_and_the_features_are_chosen_by_header_name_and_features_keep_the_order_given()
    {
        var samples = ReadAll(Hcopd, new CsvSampleOptions { Label = "Smoking", Features = ["Age", "Diagnosis"] });

        Assert.Equal(["77 1 -> 2", "72 0 -> 3"], samples);
    }

    [Fact]
    public void An_unlabelled_file_has_every_column_as_a_feature_and_an_empty_label()
    {
        using var csv = new CsvSamples(new StringReader("Gender,Age\n1,77\n0,72\n"), new CsvSampleOptions { Unlabelled = true });

        Assert.True(csv.MoveNext());
        Assert.Equal([1f, 77f], csv.Features.ToArray());
        Assert.True(csv.Label.IsEmpty);
        Assert.Equal(("", -1), (csv.LabelName, csv.LabelColumn));
    }

    [Fact]
    public void An_unlabelled_file_read_by_feature_names_ignores_its_other_columns_such_as_a_label()
    {
        using var csv = new CsvSamples(new StringReader(Hcopd), new CsvSampleOptions { Unlabelled = true, Features = ["Smoking", "Age"] });

        Assert.True(csv.MoveNext());
        Assert.Equal([2f, 77f], csv.Features.ToArray());
        Assert.True(csv.Label.IsEmpty);
    }

    [Fact]
    public void Header_names_match_without_regard_to_case_when_no_name_matches_exactly()
    {
        using var csv = new CsvSamples(new StringReader(Hcopd), new CsvSampleOptions { Label = "diagnosis", Features = ["AGE"] });

        Assert.Equal("Diagnosis", csv.LabelName);
        Assert.Equal(["Age"], csv.FeatureNames);
    }

    [Fact]
    public void Columns_can_be_chosen_by_zero_based_index()
    {
        var samples = ReadAll(Hcopd, new CsvSampleOptions { Label = "3", Features = ["2", "0"] });

        Assert.Equal(["77 1 -> 2", "72 0 -> 3"], samples);
    }

    [Fact]
    public void Without_a_header_the_first_line_is_a_sample_and_columns_are_chosen_by_index()
    {
        var samples = ReadAll("1,10,20\n0,30,40\n", new CsvSampleOptions { HasHeader = false, Label = "2" });

        Assert.Equal(["1 10 -> 20", "0 30 -> 40"], samples);
    }

    [Theory]
    [InlineData(';')]
    [InlineData('\t')]
    [InlineData('|')]
    public void Another_delimiter_splits_the_fields(char delimiter)
    {
        var text = Hcopd.Replace(',', delimiter);

        var samples = ReadAll(text, new CsvSampleOptions { Delimiter = delimiter });

        Assert.Equal(["1 77 2 -> 1", "0 72 3 -> 0"], samples);
    }

    [Fact]
    public void Quoted_fields_may_hold_the_delimiter_doubled_quotes_and_line_breaks()
    {
        const string text = "label,\"age, \"\"years\"\"\",\"weight\nkg\"\n\"1\",\"77\", 80.5\n";
        using var csv = new CsvSamples(new StringReader(text));

        Assert.Equal(["label", "age, \"years\"", "weight\nkg"], csv.ColumnNames);
        Assert.True(csv.MoveNext());
        Assert.Equal([77f, 80.5f], csv.Features.ToArray());
        Assert.Equal(3, csv.Line);
    }

    [Fact]
    public void Numbers_are_read_in_the_invariant_culture_with_exponents_and_surrounding_spaces()
    {
        var samples = ReadAll("y,a,b\n-1.5, 2e3 ,.25\n");

        Assert.Equal(["2000 0.25 -> -1.5"], samples);
    }

    [Fact]
    public void Windows_line_endings_blank_lines_and_a_missing_final_line_break_are_accepted()
    {
        var samples = ReadAll("y,a\r\n1,2\r\n\r\n0,3");

        Assert.Equal(["2 -> 1", "3 -> 0"], samples);
    }

    [Fact]
    public void A_non_numeric_cell_names_the_line_counting_the_header_and_the_column_by_number_and_name()
    {
        var error = Assert.Throws<CsvSampleException>(() => ReadAll("Diagnosis,Gender,Age,Smoking\n1,1,77,2\n0,1,abc,3\n"));

        Assert.Equal(3, error.Line);
        Assert.Equal(3, error.Column);
        Assert.Equal("Age", error.ColumnName);
        Assert.Equal("line 3, column 3 (Age): 'abc' is not a number.", error.Message);
    }

    [Fact]
    public void Line_numbers_count_blank_lines_and_line_breaks_inside_quoted_fields()
    {
        var error = Assert.Throws<CsvSampleException>(() => ReadAll("y,\"two\nline\"\n1,2\n\n0,x\n"));

        Assert.Equal(5, error.Line);
        Assert.Equal(2, error.Column);
    }

    [Fact]
    public void An_empty_cell_is_reported_as_empty()
    {
        var error = Assert.Throws<CsvSampleException>(() => ReadAll("y,a,b\n1,,2\n"));

        Assert.Equal("line 2, column 2 (a): the cell is empty.", error.Message);
    }

    [Theory]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    public void A_cell_that_is_not_a_finite_number_is_rejected(string cell)
    {
        var error = Assert.Throws<CsvSampleException>(() => ReadAll($"y,a\n1,{cell}\n"));

        Assert.Equal($"line 2, column 2 (a): '{cell}' is not a finite number.", error.Message);
    }

    [Fact]
    public void A_row_with_the_wrong_number_of_fields_names_its_line()
    {
        var error = Assert.Throws<CsvSampleException>(() => ReadAll("y,a,b\n1,2,3\n1,2\n"));

        Assert.Equal(3, error.Line);
        Assert.Equal("line 3: the row has 2 fields but the header has 3.", error.Message);
    }

    [Fact]
    public void A_quoted_field_that_is_never_closed_names_the_line_where_it_opened()
    {
        var error = Assert.Throws<CsvSampleException>(() => ReadAll("y,a\n1,\"2\n3,4\n"));

        Assert.Equal(2, error.Line);
        Assert.Equal(2, error.Column);
        Assert.Contains("never closed", error.Message);
    }

    [Fact]
    public void An_unknown_column_name_lists_the_columns_there_are()
    {
        var error = Assert.Throws<CsvSampleException>(() => new CsvSamples(new StringReader(Hcopd), new CsvSampleOptions { Features = ["Weight"] }));

        Assert.Equal("The feature column 'Weight' is not in the header; the columns are Diagnosis, Gender, Age, Smoking (or give a 0-based index).", error.Message);
    }

    [Fact]
    public void The_label_cannot_also_be_a_feature()
    {
        var error = Assert.Throws<CsvSampleException>(() => new CsvSamples(new StringReader(Hcopd), new CsvSampleOptions { Label = "Age", Features = ["Gender", "Age"] }));

        Assert.Contains("is the label; it cannot also be a feature", error.Message);
    }

    [Fact]
    public void An_empty_file_is_rejected()
    {
        var error = Assert.Throws<CsvSampleException>(() => new CsvSamples(new StringReader("")));

        Assert.Contains("empty", error.Message);
    }

    [Fact]
    public void A_header_without_rows_reads_no_samples()
    {
        using var csv = new CsvSamples(new StringReader("y,a\n"));

        Assert.False(csv.MoveNext());
        Assert.Equal(0, csv.Count);
    }

    [Fact]
    public void A_large_file_streams_through_with_every_sample_read()
    {
        var text = new System.Text.StringBuilder("y,a,b,c\n");
        for (var i = 0; i < 50_000; i++) text.Append(i % 2).Append(',').Append(i).Append(",1.5,-2\n");
        using var csv = new CsvSamples(new StringReader(text.ToString()));

        var sum = 0.0;
        while (csv.MoveNext()) sum += csv.Features[0];

        Assert.Equal(50_000, csv.Count);
        Assert.Equal(50_000.0 * 49_999 / 2, sum);
    }

    /// <summary>Every sample, shown as <c>features -&gt; label</c>.</summary>
    private static List<string> ReadAll(string text, CsvSampleOptions? options = null)
    {
        using var csv = new CsvSamples(new StringReader(text), options);
        var samples = new List<string>();
        while (csv.MoveNext()) samples.Add(Tests.Cli.Cli.Show(csv.Features.ToArray(), csv.Label[0]));
        return samples;
    }
}
