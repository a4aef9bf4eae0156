namespace KafkaMl.Tests.Scripting;

/// <summary>
/// The real <c>model-check</c> verb of the built KafkaMl executable, run as a child process by
/// <see cref="ModelScriptChecker"/>. Limits are generous where the test is not about them: the machine is shared.
/// </summary>
public sealed class ModelScriptCheckerSpecs
{
    private static ModelScriptChecker Checker(TimeSpan? timeLimit = null, long memoryLimitBytes = 2L << 30) =>
        new(new ModelScriptCheckerOptions
        {
            ExecutablePath = KafkaMlProcess.WebDllPath,
            TimeLimit = timeLimit ?? TimeSpan.FromMinutes(2),
            MemoryLimitBytes = memoryLimitBytes,
        });

    [Fact]
    public async Task The_HCOPD_MLP_has_26_parameters_and_maps_a_sample_of_3_features_to_2_outputs()
    {
        var report = await Checker().CheckAsync(ModelScripts.HcopdMlp, [3]);

        Assert.True(report.Ok, report.Error);
        Assert.Equal(0, report.ExitCode);
        Assert.Equal(ModelScripts.HcopdMlpParameters, report.Parameters);
        Assert.Equal([1L, 2L], report.OutputShape);
        Assert.Equal([3L], report.InputShape);
        Assert.Equal(
            [new ModelLayer("drop", "Dropout", 0), new ModelLayer("fc1", "Linear", 16), new ModelLayer("sig", "Sigmoid", 0), new ModelLayer("fc2", "Linear", 10)],
            report.Layers);
        Assert.Equal(ModelScriptCompiler.HashOf(ModelScripts.HcopdMlp), report.CodeHash);
    }

    [Fact]
    public async Task Without_an_input_shape_the_model_is_built_and_counted_but_not_run()
    {
        var report = await Checker().CheckAsync(ModelScripts.CustomModule);

        Assert.True(report.Ok, report.Error);
        Assert.Equal(3 * 8 + 8 + 8 * 2 + 2, report.Parameters);
        Assert.Null(report.OutputShape);
    }

    [Fact]
    public async Task The_input_shape_and_settings_fixed_by_a_ModelDefinition_are_used_and_reported()
    {
        var report = await Checker().CheckAsync(ModelScripts.HcopdDefinition);

        Assert.True(report.Ok, report.Error);
        Assert.Equal([1L, 2L], report.OutputShape);
        Assert.Equal(("cross_entropy", "adam", 0.01), (report.Loss, report.Optimizer, report.LearningRate));
        Assert.Equal(["accuracy"], report.Metrics);
    }

    [Fact]
    public async Task A_script_that_loops_forever_is_killed_at_the_time_limit()
    {
        var report = await Checker(timeLimit: TimeSpan.FromSeconds(20)).CheckAsync(ModelScripts.OnLineTwo("while (true) { }"), [3]);

        Assert.False(report.Ok);
        Assert.Equal(ModelCheckFailure.Timeout, report.Failure);
        Assert.Contains("time limit of 20 s", report.Error);
        Assert.NotNull(report.ExitCode); // the process is gone, not left running
    }

    [Fact]
    public async Task A_script_allocating_a_huge_tensor_fails_with_a_memory_limit_error()
    {
        // 1.2 GB of ones (touched, not just reserved): fine for the machine, far past the check's 768 MiB.
        var report = await Checker(memoryLimitBytes: 768L << 20).CheckAsync(ModelScripts.OnLineTwo("var huge = ones(300_000_000);"), [3]);

        Assert.False(report.Ok);
        Assert.Equal(ModelCheckFailure.Memory, report.Failure);
        Assert.Contains("more memory than a model check may use", report.Error);
        Assert.Contains("768 MiB", report.Error);
        Assert.Equal(1, report.ExitCode);
    }

    [Fact]
    public async Task A_managed_allocation_past_the_heap_limit_fails_with_a_memory_limit_error()
    {
        var report = await Checker().CheckAsync(ModelScripts.OnLineTwo("var huge = new double[200_000_000];"));

        Assert.Equal(ModelCheckFailure.Memory, report.Failure);
        Assert.Contains("OutOfMemoryException", report.Error);
    }

    [Fact]
    public async Task The_child_process_checks_the_sandbox_again()
    {
        var report = await Checker().CheckAsync(ModelScripts.OnLineTwo("""var text = System.IO.File.ReadAllText("/etc/passwd");"""));

        Assert.Equal(ModelCheckFailure.Sandbox, report.Failure);
        Assert.Contains("System.IO.File.ReadAllText", report.Error);
        Assert.Contains(report.Diagnostics!, d => d.Id == ScriptDiagnosticIds.ForbiddenApi && (d.Line, d.Column) == (2, 12));
        Assert.Equal(1, report.ExitCode);
    }

    [Fact]
    public async Task A_script_that_does_not_compile_reports_its_diagnostics()
    {
        var report = await Checker().CheckAsync("Linear(3, 2");

        Assert.Equal(ModelCheckFailure.Compilation, report.Failure);
        Assert.Contains(report.Diagnostics!, d => d.Id == "CS1026");
    }

    [Fact]
    public async Task A_script_that_throws_while_building_reports_the_exception()
    {
        var report = await Checker().CheckAsync(ModelScripts.OnLineTwo("""throw new ArgumentException("hidden size must be even");"""));

        Assert.Equal(ModelCheckFailure.Build, report.Failure);
        Assert.Contains("ArgumentException", report.Error);
        Assert.Contains("hidden size must be even", report.Error);
    }

    [Fact]
    public async Task A_forward_pass_with_a_mismatched_input_shape_fails_naming_the_shapes()
    {
        var report = await Checker().CheckAsync(ModelScripts.HcopdMlp, [5]);

        Assert.Equal(ModelCheckFailure.Forward, report.Failure);
        Assert.Contains("[1, 5]", report.Error);
        Assert.Contains("1x5", report.Error); // libtorch: mat1 and mat2 shapes cannot be multiplied (1x5 and 3x4)
        Assert.Equal(ModelScripts.HcopdMlpParameters, report.Parameters);
    }

    [Fact]
    public async Task An_invalid_training_setting_in_a_ModelDefinition_is_reported()
    {
        var report = await Checker().CheckAsync("""new ModelDefinition(Linear(3, 2)) { Loss = "hinge" }""");

        Assert.Equal(ModelCheckFailure.Build, report.Failure);
        Assert.Contains("loss 'hinge' is not one of cross_entropy", report.Error);
    }

    [Fact]
    public async Task Cancelling_a_check_kills_the_child_and_throws()
    {
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(3));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => Checker().CheckAsync(ModelScripts.OnLineTwo("while (true) { }"), null, cancel.Token));
    }

    [Fact]
    public void The_child_runs_with_data_and_cpu_limits_and_without_the_portal_environment()
    {
        Environment.SetEnvironmentVariable("KAFKAML_TEST_SECRET", "hunter2");
        try
        {
            var start = Checker().CreateStartInfo([1, 28, 28]);

            var command = new[] { start.FileName }.Concat(start.ArgumentList).ToList();
            Assert.Contains("model-check", command);
            Assert.Equal(["--input-shape", "1 28 28"], command.TakeLast(2));
            Assert.Contains(KafkaMlProcess.WebDllPath, command);
            if (File.Exists("/usr/bin/prlimit"))
            {
                Assert.Equal("/usr/bin/prlimit", start.FileName);
                Assert.Contains($"--data={2L << 30}", command);
                Assert.Contains(command, a => a.StartsWith("--cpu=", StringComparison.Ordinal));
            }
            Assert.False(start.Environment.ContainsKey("KAFKAML_TEST_SECRET"));
            Assert.Equal("0", start.Environment["DOTNET_gcServer"]);
            Assert.Equal("20000000", start.Environment["DOTNET_GCHeapHardLimit"]); // 512 MiB
        }
        finally
        {
            Environment.SetEnvironmentVariable("KAFKAML_TEST_SECRET", null);
        }
    }
}
