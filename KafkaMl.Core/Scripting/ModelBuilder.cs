using KafkaMl.Core.Training;

namespace KafkaMl.Core.Scripting;

/// <summary>
/// Script → compiled → built module, the one way every job process makes its model (<c>train</c>, <c>infer</c>):
/// compiles the script (sandbox-checked again: defence in depth) within a time bound, then runs it
/// (<see cref="ModelScriptRunner"/>) — <b>only in job processes</b>, never in the portal.
/// </summary>
public static class ModelBuilder
{
    /// <summary>Bound on compiling the script in a job (the portal already checked it within its own, tighter bound).</summary>
    public static readonly TimeSpan CompileTimeout = TimeSpan.FromSeconds(60);

    /// <summary>A compiler of the job's own: one compilation at a time, nothing kept beyond the one script.</summary>
    public static ModelScriptCompiler CreateCompiler() =>
        new(new ModelScriptCompilerOptions { CompileTimeout = CompileTimeout, MaxConcurrentCompilations = 1, CacheSize = 1 });

    /// <summary>Compiles and runs <paramref name="code"/>; seeds TorchSharp first when <paramref name="seed"/> is given.</summary>
    /// <param name="code">The model script.</param>
    /// <param name="compiler">Shared by a process that builds the same script often (its cache compiles it once); null: <see cref="CreateCompiler"/>.</param>
    /// <param name="seed">
    /// The initial weights are drawn while the module is built: seeding first makes the same seed give the same model.
    /// Null leaves the generator as it is (the weights are loaded afterwards anyway).
    /// </param>
    /// <param name="cancellationToken">Stops compiling/building.</param>
    /// <exception cref="ModelBuildException">The script does not compile, or threw while building the model.</exception>
    public static async Task<ModelDefinition> BuildAsync(string code, ModelScriptCompiler? compiler, int? seed, CancellationToken cancellationToken)
    {
        var compilation = await CompileAsync(code, compiler, cancellationToken).ConfigureAwait(false);
        if (!compilation.Success) throw new ModelBuildException(compilation);
        return await BuildAsync(compilation, seed, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The first step alone: compiles (and sandbox-checks) <paramref name="code"/>; the compilation says whether it
    /// succeeded, with its diagnostics (the <c>model-check</c> verb reports them rather than throwing).
    /// </summary>
    public static Task<ModelCompilation> CompileAsync(string code, ModelScriptCompiler? compiler, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(code);
        return (compiler ?? CreateCompiler()).CompileAsync(code, cancellationToken);
    }

    /// <summary>The second step alone: runs a successful compilation to build the module (seeded first when <paramref name="seed"/> is given).</summary>
    /// <exception cref="ModelBuildException">The script threw while building the model.</exception>
    public static async Task<ModelDefinition> BuildAsync(ModelCompilation compilation, int? seed, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(compilation);
        if (!compilation.Success) throw new ModelBuildException(compilation);
        if (seed is { } value) Trainer.SeedTorch(value);
        try
        {
            return await ModelScriptRunner.BuildAsync(compilation, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new ModelBuildException(e);
        }
    }
}

/// <summary>
/// A model script that cannot become a model: <see cref="FailedCompilation"/> when it does not compile, else
/// <see cref="Exception.InnerException"/> is what building it threw. Each job words it for its own users.
/// </summary>
public sealed class ModelBuildException : Exception
{
    public ModelBuildException(ModelCompilation failedCompilation)
        : base($"The model script does not compile:{Environment.NewLine}{failedCompilation.ErrorSummary}") =>
        FailedCompilation = failedCompilation;

    public ModelBuildException(Exception buildError)
        : base($"Building the model failed: {buildError.GetType().Name}: {buildError.Message}", buildError)
    {
    }

    /// <summary>The compilation when the script does not compile; null when it compiled but building threw.</summary>
    public ModelCompilation? FailedCompilation { get; }

    /// <summary>What building threw (null when the script did not compile).</summary>
    public Exception? BuildError => InnerException;
}
