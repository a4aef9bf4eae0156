using System.Runtime.InteropServices;
using KafkaMl.Core.Chains;
using KafkaMl.Core.Domain;
using KafkaMl.Core.Training;
using TorchSharp;

namespace KafkaMl.Core.Scripting;

/// <summary>
/// The work of the <c>model-check</c> verb, inside the short-lived child process: compile and sandbox-check the
/// script again (defence in depth), run it to build the module, count its parameters, list its layers and run a
/// dry forward pass on a zero batch of one when the input shape is known. <b>Never call this in the portal</b>;
/// the portal uses <see cref="ModelScriptChecker"/>, which runs it in a child process.
/// </summary>
public static class ModelScriptInspector
{
    /// <summary>Checks <paramref name="code"/>; every failure becomes a report, never an exception (except cancellation).</summary>
    /// <param name="code">The script text.</param>
    /// <param name="inputShape">One sample's shape; when null the script's own <see cref="ModelDefinition.InputShape"/> is used, if any.</param>
    /// <param name="cancellationToken">Stops the check.</param>
    public static async Task<ModelCheckReport> InspectAsync(string code, IReadOnlyList<long>? inputShape, CancellationToken cancellationToken)
    {
        // The parent bounds the wall-clock time (ModelScriptCheckerOptions.TimeLimit, under the builder's own bound).
        var compilation = await ModelBuilder.CompileAsync(code, compiler: null, cancellationToken);
        if (!compilation.Success)
        {
            var sandbox = compilation.Errors.Any(d => d.Id.StartsWith("KML1", StringComparison.Ordinal));
            return ModelCheckReport.Failed(
                sandbox ? ModelCheckFailure.Sandbox : ModelCheckFailure.Compilation,
                (sandbox ? "The model script uses APIs a model script may not use:" : "The model script does not compile:")
                    + Environment.NewLine + compilation.ErrorSummary,
                compilation.Diagnostics) with { CodeHash = compilation.CodeHash };
        }

        TorchNative.EnsureLoadable();
        torch.set_num_threads(1); // a check needs no parallelism, and the machine is shared

        ModelDefinition definition;
        try
        {
            definition = await ModelBuilder.BuildAsync(compilation, seed: null, cancellationToken);
        }
        catch (ModelBuildException e)
        {
            return Failure(e.BuildError!, ModelCheckFailure.Build, "Building the model failed", compilation);
        }

        using var module = definition.Module;
        if (DefinitionProblem(definition) is { } problem)
            return ModelCheckReport.Failed(ModelCheckFailure.Build, problem) with { CodeHash = compilation.CodeHash };

        var layers = module.named_children()
            .Select(c => new ModelLayer(c.name, c.module.GetType().Name, c.module.parameters().Sum(p => p.numel())))
            .ToList();
        var report = new ModelCheckReport
        {
            Ok = true,
            CodeHash = compilation.CodeHash,
            Diagnostics = compilation.Diagnostics.Count > 0 ? compilation.Diagnostics : null,
            Parameters = module.parameters().Sum(p => p.numel()),
            Layers = layers,
            Tensors = PyTorch.ModelTensor.Of(module),
            Loss = definition.Loss is { } loss ? EnumNames.Parse<Loss>(loss).ToName() : null,
            Optimizer = definition.Optimizer is { } optimizer ? EnumNames.Parse<Optimizer>(optimizer).ToName() : null,
            LearningRate = definition.LearningRate,
            Metrics = definition.Metrics,
        };

        var shape = inputShape ?? definition.InputShape;
        if (module is EarlyExitChain chain) return InspectChain(chain, shape, report, compilation);
        if (shape is null) return report;
        report = report with { InputShape = shape };
        try
        {
            using var scope = torch.NewDisposeScope();
            using var noGrad = torch.no_grad();
            module.eval();
            var input = torch.zeros([1, .. shape]);
            var output = module.call(input);
            return report with { OutputShape = output.shape };
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return Failure(e, ModelCheckFailure.Forward,
                    $"The dry forward pass with a zero batch of shape [1, {string.Join(", ", shape)}] failed", compilation)
                with { InputShape = shape, Parameters = report.Parameters, Layers = report.Layers };
        }
    }

    /// <summary>
    /// An early-exit chain's stages and, with an input shape, the dry forward pass stage by stage: the output shape is
    /// the final stage's; stages that do not connect fail the check naming the stages and the shapes.
    /// </summary>
    private static ModelCheckReport InspectChain(EarlyExitChain chain, IReadOnlyList<long>? shape, ModelCheckReport report, ModelCompilation compilation)
    {
        report = report with { ExitWeights = chain.ExitWeights, Stages = ChainCheck.Inspect(chain, null) };
        if (shape is null) return report;
        report = report with { InputShape = shape };
        try
        {
            var stages = ChainCheck.Inspect(chain, shape);
            return report with { Stages = stages, OutputShape = stages[^1].ExitShape };
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A ChainShapeException's message names the stages and the shapes.
            return Failure(e, ModelCheckFailure.Forward, $"The dry forward pass with a zero batch of shape [1, {string.Join(", ", shape)}] failed", compilation) with { InputShape = shape, Parameters = report.Parameters, Layers = report.Layers, Stages = report.Stages, ExitWeights = report.ExitWeights };
        }
    }

    /// <summary>Whether an exception means an allocation failed (managed heap limit, address-space limit, libtorch's allocator).</summary>
    public static bool IsOutOfMemory(Exception e) =>
        e is OutOfMemoryException or InsufficientMemoryException
        || (e is ExternalException or InvalidOperationException && LooksLikeAllocationFailure(e.Message))
        || (e.InnerException is { } inner && IsOutOfMemory(inner));

    /// <summary>Messages libtorch and the runtime give when memory runs out.</summary>
    public static bool LooksLikeAllocationFailure(string message) =>
        message.Contains("can't allocate memory", StringComparison.OrdinalIgnoreCase)
        || message.Contains("not enough memory", StringComparison.OrdinalIgnoreCase)
        || message.Contains("Cannot allocate memory", StringComparison.OrdinalIgnoreCase)
        || message.Contains("bad_alloc", StringComparison.OrdinalIgnoreCase)
        || message.Contains("out of memory", StringComparison.OrdinalIgnoreCase)
        || message.Contains("OutOfMemory", StringComparison.Ordinal);

    private static ModelCheckReport Failure(Exception e, ModelCheckFailure failure, string doing, ModelCompilation compilation)
    {
        var memory = IsOutOfMemory(e);
        var message = Readable(e.Message);
        var error = memory
            ? $"{doing}: the model needs more memory than a model check may use ({message})."
            : $"{doing}: {e.GetType().Name}: {message}";
        return ModelCheckReport.Failed(memory ? ModelCheckFailure.Memory : failure, error,
            compilation.Diagnostics.Count > 0 ? compilation.Diagnostics : null) with { CodeHash = compilation.CodeHash };
    }

    /// <summary>
    /// libtorch's messages carry a source location prefix and a C++ backtrace; keep what a user can act on:
    /// <c>DefaultCPUAllocator: can't allocate memory: you tried to allocate 400000000 bytes. Error code 12 (Cannot allocate memory)</c>.
    /// </summary>
    internal static string Readable(string message)
    {
        var text = message.Replace('\n', ' ').Replace('\r', ' ');
        foreach (var marker in new[] { "Exception raised from", " frame #0", "frame #0:" })
        {
            var at = text.IndexOf(marker, StringComparison.Ordinal);
            if (at >= 0) text = text[..at];
        }
        if (text.StartsWith("[enforce fail at", StringComparison.Ordinal) && text.IndexOf("] ", StringComparison.Ordinal) is var close and > 0)
        {
            text = text[(close + 2)..];
            if (text.StartsWith("err == 0. ", StringComparison.Ordinal)) text = text["err == 0. ".Length..];
        }
        text = string.Join(' ', text.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        return text.Length > 500 ? text[..500] + "…" : text;
    }

    /// <summary>Names in the definition that the platform does not know; null when all are known.</summary>
    private static string? DefinitionProblem(ModelDefinition definition)
    {
        var problems = new List<string>();
        if (definition.Loss is { } loss && !EnumNames.TryParse<Loss>(loss, out _))
            problems.Add($"loss '{loss}' is not one of {string.Join(", ", EnumNames.Names<Loss>())}");
        if (definition.Optimizer is { } optimizer && !EnumNames.TryParse<Optimizer>(optimizer, out _))
            problems.Add($"optimizer '{optimizer}' is not one of {string.Join(", ", EnumNames.Names<Optimizer>())}");
        if (definition.LearningRate is { } rate && !(rate > 0 && double.IsFinite(rate)))
            problems.Add($"learning rate {rate} is not a positive number");
        if (definition.InputShape is { } shape && (shape.Count == 0 || shape.Any(d => d <= 0)))
            problems.Add($"input shape [{string.Join(", ", shape)}] must have positive dimensions");
        if (definition.Metrics is { } metrics && metrics.Any(string.IsNullOrWhiteSpace))
            problems.Add("metric names must not be empty");
        return problems.Count == 0 ? null : "The model definition is invalid: " + string.Join("; ", problems) + ".";
    }
}
