using KafkaMl.Tests.Scripting;

namespace KafkaMl.Tests.Cli;

/// <summary>The <c>model-check</c> verb's own contract: arguments, one JSON line on standard output, exit code.</summary>
public sealed class ModelCheckVerbSpecs
{
    [Fact]
    public async Task A_script_file_is_checked_and_reported_as_one_JSON_line()
    {
        var file = Path.Combine(Path.GetTempPath(), $"kafkaml-model-{Guid.NewGuid():N}.csx");
        await File.WriteAllTextAsync(file, ModelScripts.HcopdMlp);
        try
        {
            using var verb = KafkaMlProcess.Start(["model-check", file, "--input-shape", "3"]);

            Assert.Equal(0, await verb.WaitForExitAsync(Eventually.Patience));
            var line = Assert.Single(verb.StdoutLines, l => l.Length > 0);
            using var json = JsonDocument.Parse(line);
            Assert.True(json.RootElement.GetProperty("ok").GetBoolean());
            Assert.Equal(26, json.RootElement.GetProperty("parameters").GetInt64());
            Assert.Equal("[1,2]", json.RootElement.GetProperty("outputShape").GetRawText());
            Assert.Equal(4, json.RootElement.GetProperty("layers").GetArrayLength());
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task A_bad_input_shape_is_a_usage_failure_with_exit_code_1()
    {
        using var verb = KafkaMlProcess.Start(["model-check", "--input-shape", "3 0"]);

        Assert.Equal(1, await verb.WaitForExitAsync(Eventually.Patience));
        var line = Assert.Single(verb.StdoutLines, l => l.Length > 0);
        Assert.Contains("\"failure\":\"usage\"", line);
        var report = ModelCheckReport.TryParse(line);
        Assert.NotNull(report);
        Assert.False(report.Ok);
        Assert.Equal(ModelCheckFailure.Usage, report.Failure);
        Assert.Contains("'0'", report.Error);
    }
}
