using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace KafkaMl.Core.Scripting;

/// <summary>
/// Compiles model scripts (C# script over TorchSharp, see <see cref="ModelScriptEnvironment"/>), checks them
/// against the sandbox's allow-list (<see cref="ModelScriptSandbox"/>) and checks that the final expression is a
/// model. Never runs a script. Thread-safe; results are cached by the SHA-256 of the text (bounded, least recently
/// used dropped) and concurrent requests for the same text share one compilation.
/// </summary>
/// <remarks>
/// Each compilation is bounded by <see cref="ModelScriptCompilerOptions.CompileTimeout"/>: past it the caller gets a
/// <see cref="ScriptDiagnosticIds.CompileTimeout"/> diagnostic (never cached). At most
/// <see cref="ModelScriptCompilerOptions.MaxConcurrentCompilations"/> compilations run at once, so a flood of
/// expensive scripts cannot take every core of the portal.
/// </remarks>
public sealed class ModelScriptCompiler
{
    private readonly ModelScriptCompilerOptions options;
    private readonly SemaphoreSlim slots;
    private readonly Lock gate = new();
    private readonly Dictionary<string, LinkedListNode<CacheEntry>> entries = new(StringComparer.Ordinal);
    private readonly LinkedList<CacheEntry> recency = new();

    private sealed record CacheEntry(string Hash, Task<ModelCompilation> Compilation);

    public ModelScriptCompiler(ModelScriptCompilerOptions? options = null)
    {
        this.options = options ?? new ModelScriptCompilerOptions();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(this.options.CacheSize, nameof(options.CacheSize));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(this.options.MaxConcurrentCompilations, nameof(options.MaxConcurrentCompilations));
        slots = new SemaphoreSlim(this.options.MaxConcurrentCompilations, this.options.MaxConcurrentCompilations);
    }

    /// <summary>How many compilations the cache holds now (finished or in progress).</summary>
    public int CachedCount
    {
        get { lock (gate) return entries.Count; }
    }

    /// <summary>
    /// How many compilations are running now, including any still finishing after their caller was told they
    /// timed out (the compiler stops at its next cancellation check).
    /// </summary>
    public int ActiveCompilations => options.MaxConcurrentCompilations - slots.CurrentCount;

    /// <summary>Lowercase hex SHA-256 of the UTF-8 text: the identity of a script.</summary>
    public static string HashOf(string code) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(code)));

    /// <summary>
    /// Compiles and checks <paramref name="code"/>, or returns the cached result for the same text. Cancelling
    /// <paramref name="cancellationToken"/> stops waiting; the shared compilation goes on for other callers.
    /// </summary>
    public async Task<ModelCompilation> CompileAsync(string code, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(code);
        var hash = HashOf(code);
        Task<ModelCompilation> compilation;
        lock (gate)
        {
            if (entries.TryGetValue(hash, out var node))
            {
                recency.Remove(node);
                recency.AddFirst(node);
                compilation = node.Value.Compilation;
            }
            else
            {
                compilation = Task.Run(() => CompileBoundedAsync(code, hash));
                entries[hash] = recency.AddFirst(new CacheEntry(hash, compilation));
                while (entries.Count > options.CacheSize && recency.Last is { } oldest)
                {
                    recency.RemoveLast();
                    entries.Remove(oldest.Value.Hash);
                }
            }
        }

        try
        {
            var result = await compilation.WaitAsync(cancellationToken);
            if (result.TimedOut) Forget(hash, compilation);
            return result;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Forget(hash, compilation);
            throw;
        }
    }

    private void Forget(string hash, Task<ModelCompilation> compilation)
    {
        lock (gate)
        {
            if (entries.TryGetValue(hash, out var node) && node.Value.Compilation == compilation)
            {
                recency.Remove(node);
                entries.Remove(hash);
            }
        }
    }

    private async Task<ModelCompilation> CompileBoundedAsync(string code, string hash)
    {
        var timeout = new CancellationTokenSource(options.CompileTimeout);
        Task<ModelCompilation>? work = null;
        try
        {
            await slots.WaitAsync(timeout.Token);
            // A thread of its own: a long compilation must not starve the thread pool (nor the timer that ends it).
            work = Task.Factory.StartNew(() =>
            {
                try { return Compile(code, hash, timeout.Token); }
                finally { slots.Release(); }
            }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            return await work.WaitAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            return new ModelCompilation(hash,
                [ScriptDiagnostic.Unpositioned(ScriptDiagnosticIds.CompileTimeout,
                    string.Create(CultureInfo.InvariantCulture,
                        $"Compiling the model script took longer than {options.CompileTimeout.TotalSeconds:0.###} s and was stopped; simplify the script."))],
                script: null, timedOut: true);
        }
        finally
        {
            // The compiler stops at its next cancellation check; the token must live until then.
            if (work is null || work.IsCompleted) timeout.Dispose();
            else _ = work.ContinueWith(t =>
            {
                _ = t.Exception; // observed: the abandoned compilation ends cancelled
                timeout.Dispose();
            }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
        }
    }

    /// <summary>The whole check, synchronously: compile, sandbox, final expression.</summary>
    private ModelCompilation Compile(string code, string hash, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (code.Length > options.MaxCodeLength)
            return new ModelCompilation(hash,
                [ScriptDiagnostic.Unpositioned(ScriptDiagnosticIds.InvalidText,
                    $"The model script has {code.Length} characters; at most {options.MaxCodeLength} are accepted.")],
                script: null, timedOut: false);

        var script = ModelScriptEnvironment.CreateScript(code);
        // One thread per compilation: MaxConcurrentCompilations then bounds the cores compiling takes.
        var compilation = script.GetCompilation();
        compilation = compilation.WithOptions(compilation.Options.WithConcurrentBuild(false));
        var tree = compilation.SyntaxTrees.Single();
        if (NestingDiagnostic(tree, options.MaxLambdaNesting, cancellationToken) is { } tooDeep)
            return new ModelCompilation(hash, [tooDeep], script: null, timedOut: false);

        var diagnostics = compilation.GetDiagnostics(cancellationToken)
            .Where(d => d.Severity >= DiagnosticSeverity.Warning && !d.IsSuppressed)
            .Select(ScriptDiagnostic.From)
            .ToList();

        var model = compilation.GetSemanticModel(tree);
        diagnostics.AddRange(ModelScriptSandbox.Analyze(tree, model, cancellationToken));
        if (ResultDiagnostic(tree, model, compilation, cancellationToken) is { } result) diagnostics.Add(result);

        var ordered = diagnostics
            .DistinctBy(d => (d.Id, d.Line, d.Column, d.Message))
            .OrderBy(d => d.Line).ThenBy(d => d.Column).ThenBy(d => d.Severity)
            .ToList();
        return new ModelCompilation(hash, ordered, script, timedOut: false);
    }

    /// <summary>The first lambda nested deeper than <paramref name="maxDepth"/>, as a diagnostic; null when there is none.</summary>
    private static ScriptDiagnostic? NestingDiagnostic(SyntaxTree tree, int maxDepth, CancellationToken cancellationToken)
    {
        var pending = new Stack<(SyntaxNode Node, int Depth)>();
        pending.Push((tree.GetRoot(cancellationToken), 0));
        while (pending.Count > 0)
        {
            var (node, depth) = pending.Pop();
            if (node is AnonymousFunctionExpressionSyntax && ++depth > maxDepth)
                return ScriptDiagnostic.At(tree, node.Span, ScriptDiagnosticIds.InvalidText,
                    $"Lambdas are nested {depth} deep here; at most {maxDepth} levels are accepted in a model script.");
            foreach (var child in node.ChildNodes()) pending.Push((child, depth));
        }
        return null;
    }

    /// <summary>Checks that the script ends with an expression whose type is a model; null when it does.</summary>
    private static ScriptDiagnostic? ResultDiagnostic(SyntaxTree tree, SemanticModel model, Compilation compilation, CancellationToken cancellationToken)
    {
        var root = (CompilationUnitSyntax)tree.GetRoot(cancellationToken);
        var last = root.Members.LastOrDefault();
        const string Expected = "a Module<Tensor, Tensor> (e.g. Sequential((\"fc1\", Linear(3, 4)), (\"relu\", ReLU()), (\"fc2\", Linear(4, 2)))) or a ModelDefinition";
        var final = last switch
        {
            GlobalStatementSyntax { Statement: ExpressionStatementSyntax { SemicolonToken.IsMissing: true } statement } => statement.Expression,
            GlobalStatementSyntax { Statement: ReturnStatementSyntax { Expression: { } returned } } => returned,
            _ => null,
        };
        if (final is null)
        {
            var span = last?.Span ?? new Microsoft.CodeAnalysis.Text.TextSpan(0, 0);
            var hint = last is GlobalStatementSyntax { Statement: ExpressionStatementSyntax }
                ? " Remove the semicolon after the last expression."
                : "";
            return ScriptDiagnostic.At(tree, span, ScriptDiagnosticIds.WrongResult,
                $"The script must end with the model: a final expression without a semicolon that is {Expected}.{hint}");
        }

        var type = model.GetTypeInfo(final, cancellationToken).Type;
        if (type is null or IErrorTypeSymbol) return type is null && final is LiteralExpressionSyntax
            ? ScriptDiagnostic.At(tree, final.Span, ScriptDiagnosticIds.WrongResult, $"The script's final expression is null; it must be {Expected}.")
            : null; // already an error

        var tensor = compilation.GetTypeByMetadataName("TorchSharp.torch+Tensor");
        var module = compilation.GetTypeByMetadataName("TorchSharp.torch+nn+Module`2");
        var definition = compilation.GetTypeByMetadataName(typeof(ModelDefinition).FullName!);
        if (tensor is null || module is null || definition is null) return null; // references broken: the compiler says so
        var moduleOfTensors = module.Construct(tensor, tensor);
        bool Converts(ITypeSymbol target)
        {
            var conversion = compilation.ClassifyCommonConversion(type, target);
            return conversion.IsIdentity || (conversion.IsImplicit && conversion.IsReference);
        }
        if (Converts(moduleOfTensors) || Converts(definition)) return null;

        return ScriptDiagnostic.At(tree, final.Span, ScriptDiagnosticIds.WrongResult,
            $"The script's final expression is of type '{type.ToDisplayString(SymbolDisplayFormat.CSharpErrorMessageFormat)}'; it must be {Expected}.");
    }
}
