using System.Security.Cryptography;

namespace KafkaMl.Tests.Scripting;

/// <summary>One compiler shared by a test class, as the portal shares one.</summary>
public sealed class CompilerFixture
{
    public ModelScriptCompiler Compiler { get; } = new();
}

public sealed class ModelScriptCompilerSpecs(CompilerFixture fixture) : IClassFixture<CompilerFixture>
{
    private readonly ModelScriptCompiler compiler = fixture.Compiler;

    [Theory]
    [InlineData(ModelScripts.HcopdMlp)]
    [InlineData(ModelScripts.MultiLineHcopdMlp)]
    public async Task The_HCOPD_MLP_compiles_without_errors(string code)
    {
        var compilation = await compiler.CompileAsync(code);

        Assert.True(compilation.Success, compilation.ErrorSummary);
        Assert.Empty(compilation.Errors);
        Assert.NotNull(compilation.Script);
    }

    [Fact]
    public async Task A_custom_module_class_compiles()
    {
        var compilation = await compiler.CompileAsync(ModelScripts.CustomModule);

        Assert.True(compilation.Success, compilation.ErrorSummary);
    }

    [Fact]
    public async Task A_ModelDefinition_fixing_loss_optimizer_metrics_and_input_shape_compiles()
    {
        var compilation = await compiler.CompileAsync(ModelScripts.HcopdDefinition);

        Assert.True(compilation.Success, compilation.ErrorSummary);
    }

    [Fact]
    public async Task A_final_return_statement_is_accepted_as_the_model()
    {
        var compilation = await compiler.CompileAsync("Module<Tensor, Tensor> model = Linear(3, 2);\nreturn model;");

        Assert.True(compilation.Success, compilation.ErrorSummary);
    }

    [Fact]
    public async Task A_syntax_error_is_reported_at_its_line_and_column()
    {
        const string code = "var hidden = 4;\nvar classes = 2;\n    }\nSequential((\"fc1\", Linear(3, hidden)), (\"fc2\", Linear(hidden, classes)))";

        var compilation = await compiler.CompileAsync(code);

        Assert.False(compilation.Success);
        var error = Assert.Single(compilation.Errors);
        Assert.Equal((3, 5, 3, 6), (error.Line, error.Column, error.EndLine, error.EndColumn));
        Assert.StartsWith("CS", error.Id);
        Assert.Equal(ScriptDiagnosticSeverity.Error, error.Severity);
    }

    [Fact]
    public async Task A_type_error_in_an_argument_is_reported_at_the_argument()
    {
        var compilation = await compiler.CompileAsync("var hidden = \"four\";\nLinear(3, hidden)");

        var error = Assert.Single(compilation.Errors);
        Assert.Equal("CS1503", error.Id);
        Assert.Equal((2, 11), (error.Line, error.Column));
        Assert.Contains("string", error.Message);
    }

    [Fact]
    public async Task A_final_expression_of_the_wrong_type_is_rejected_with_a_clear_message()
    {
        var compilation = await compiler.CompileAsync("var features = 3;\nfeatures * 2");

        var error = Assert.Single(compilation.Errors);
        Assert.Equal(ScriptDiagnosticIds.WrongResult, error.Id);
        Assert.Equal((2, 1, 2, 13), (error.Line, error.Column, error.EndLine, error.EndColumn));
        Assert.Contains("'int'", error.Message);
        Assert.Contains("Module<Tensor, Tensor>", error.Message);
        Assert.Contains("ModelDefinition", error.Message);
    }

    [Fact]
    public async Task A_script_whose_last_statement_ends_with_a_semicolon_is_told_to_remove_it()
    {
        var compilation = await compiler.CompileAsync("Linear(3, 2);");

        var error = Assert.Single(compilation.Errors);
        Assert.Equal(ScriptDiagnosticIds.WrongResult, error.Id);
        Assert.Contains("Remove the semicolon", error.Message);
    }

    [Fact]
    public async Task An_empty_script_is_told_to_end_with_the_model()
    {
        var compilation = await compiler.CompileAsync("  \n");

        var error = Assert.Single(compilation.Errors);
        Assert.Equal(ScriptDiagnosticIds.WrongResult, error.Id);
        Assert.Contains("must end with the model", error.Message);
    }

    [Fact]
    public async Task The_code_hash_is_the_SHA256_of_the_UTF8_text()
    {
        var compilation = await compiler.CompileAsync(ModelScripts.HcopdMlp);

        var expected = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(ModelScripts.HcopdMlp)));
        Assert.Equal(expected, compilation.CodeHash);
        Assert.Equal(expected, ModelScriptCompiler.HashOf(ModelScripts.HcopdMlp));
    }

    [Fact]
    public async Task Compiling_the_same_code_again_returns_the_cached_compilation()
    {
        var first = await compiler.CompileAsync(ModelScripts.MultiLineHcopdMlp);
        var second = await compiler.CompileAsync(ModelScripts.MultiLineHcopdMlp);

        Assert.Same(first, second);
    }

    [Fact]
    public async Task Concurrent_requests_for_the_same_code_share_one_compilation()
    {
        var own = new ModelScriptCompiler();

        var results = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => own.CompileAsync(ModelScripts.CustomModule)));

        Assert.All(results, r => Assert.Same(results[0], r));
        Assert.Equal(1, own.CachedCount);
    }

    [Fact]
    public async Task The_cache_drops_the_least_recently_used_compilation_when_full()
    {
        var small = new ModelScriptCompiler(new ModelScriptCompilerOptions { CacheSize = 2 });
        var a = await small.CompileAsync("Linear(3, 2)");
        var b = await small.CompileAsync("Linear(4, 2)");
        Assert.Same(a, await small.CompileAsync("Linear(3, 2)")); // a is now the most recently used

        await small.CompileAsync("Linear(5, 2)"); // evicts b

        Assert.Equal(2, small.CachedCount);
        Assert.Same(a, await small.CompileAsync("Linear(3, 2)"));
        Assert.NotSame(b, await small.CompileAsync("Linear(4, 2)"));
    }

    [Fact]
    public async Task A_compilation_past_the_time_limit_yields_a_timeout_diagnostic_and_is_not_cached()
    {
        var hurried = new ModelScriptCompiler(new ModelScriptCompilerOptions { CompileTimeout = TimeSpan.FromMilliseconds(300) });
        var code = SlowToCompile();

        var compilation = await hurried.CompileAsync(code);

        Assert.False(compilation.Success);
        Assert.True(compilation.TimedOut);
        Assert.Null(compilation.Script);
        var error = Assert.Single(compilation.Errors);
        Assert.Equal(ScriptDiagnosticIds.CompileTimeout, error.Id);
        Assert.Contains("longer than 0.3 s", error.Message);
        Assert.Equal(0, hurried.CachedCount);

        // The abandoned compilation stops at the compiler's next cancellation check instead of burning a core.
        while (hurried.ActiveCompilations > 0) await Task.Delay(20);
    }

    [Fact]
    public async Task Lambdas_nested_deeper_than_the_limit_are_rejected_before_compiling()
    {
        var compilation = await compiler.CompileAsync("Func<int, Func<int, Func<int, Func<int, Func<int, int>>>>> f = a => b => c => d => e => a;\nLinear(3, 2)");

        var error = Assert.Single(compilation.Errors);
        Assert.Equal(ScriptDiagnosticIds.InvalidText, error.Id);
        Assert.Equal((1, 84), (error.Line, error.Column));
        Assert.Null(compilation.Script);
    }

    [Fact]
    public async Task A_script_longer_than_the_limit_is_rejected()
    {
        var strict = new ModelScriptCompiler(new ModelScriptCompilerOptions { MaxCodeLength = 20 });

        var compilation = await strict.CompileAsync("// " + new string('x', 40) + "\nLinear(3, 2)");

        Assert.Equal(ScriptDiagnosticIds.InvalidText, Assert.Single(compilation.Errors).Id);
    }

    [Fact]
    public async Task Cancelling_the_request_stops_waiting_for_the_compilation()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => compiler.CompileAsync("Linear(6, 2)", cancelled.Token));
    }

    /// <summary>
    /// Hundreds of script methods, each binding lambdas nested in calls to overloaded methods (about 0.1 s apiece):
    /// far more than the test's time limit, and the compiler checks for cancellation between methods.
    /// </summary>
    private static string SlowToCompile()
    {
        var code = new StringBuilder();
        foreach (var type in new[] { "int", "string", "long", "double" })
            code.Append($"int M(Func<{type}, int> f) => 0;\n");
        for (var i = 0; i < 300; i++)
            code.Append($"int F{i}() => M(a => M(b => M(c => a.GetHashCode())));\n");
        return code.Append(ModelScripts.AnyModel).ToString();
    }
}
