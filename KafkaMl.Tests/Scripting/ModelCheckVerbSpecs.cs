using System.Diagnostics;
using System.Text.Json;
using KafkaMl.Core.Scripting;

namespace KafkaMl.Tests.Scripting;

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
            var (exitCode, output) = await RunVerbAsync(["model-check", file, "--input-shape", "3"], stdin: "");

            Assert.Equal(0, exitCode);
            var line = Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
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
        var (exitCode, output) = await RunVerbAsync(["model-check", "--input-shape", "3 0"], stdin: ModelScripts.HcopdMlp);

        Assert.Equal(1, exitCode);
        var report = ModelCheckReport.TryParse(output.Trim());
        Assert.NotNull(report);
        Assert.False(report.Ok);
        Assert.Equal(ModelCheckFailure.Usage, report.Failure);
        Assert.Contains("\"failure\":\"usage\"", output);
        Assert.Contains("'0'", report.Error);
    }

    private static async Task<(int ExitCode, string Output)> RunVerbAsync(string[] arguments, string stdin)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(KafkaMlExecutable.WebDll);
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        start.Environment["DOTNET_gcServer"] = "0";

        using var process = Process.Start(start)!;
        await process.StandardInput.WriteAsync(stdin);
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(limit.Token);
        await errors;
        return (process.ExitCode, await output);
    }
}
