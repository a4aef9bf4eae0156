using System.Globalization;
using KafkaMl.Core.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace KafkaMl.Core.Chains;

/// <summary>
/// A network cut into stages (edge → fog → cloud): every stage but the last is a <see cref="ChainStage"/> whose body
/// hands its output upward and whose exit head answers early; the last stage is a plain module whose output is the
/// last exit. A script ends in <c>EarlyExitChain(Stage(body1, exit1), ..., final)</c> (<see cref="ChainScript"/>).
/// </summary>
/// <remarks>
/// <para>As a <c>Module&lt;Tensor, Tensor&gt;</c> its forward is the final stage's output (through every body, no exit
/// head), so everything that trains, evaluates, saves or serves a plain model works with it as with the whole network.
/// <see cref="ForwardExits"/> gives every exit's output of one pass; <see cref="Exit(int)"/> one exit as a module of
/// its own.</para>
/// <para>Exits are numbered from 1: stage k's exit is exit k, the final stage is exit <see cref="ExitCount"/>.
/// Parameter names: <c>stages.{k-1}.body.*</c> and <c>stages.{k-1}.exit.*</c> for stage k, <c>final.*</c> for the
/// final stage (<see cref="StatePrefix"/>).</para>
/// </remarks>
public sealed class EarlyExitChain : Module<Tensor, Tensor>
{
    // The field names are the parameter-name prefixes (stages.0.body.*, final.*).
    private readonly ModuleList<ChainStage> stages;
    private readonly Module<Tensor, Tensor> final;
    private readonly ChainStage[] stageArray;
    private double[] exitWeights;
    private ExitModule?[]? exitModules;

    /// <exception cref="ArgumentException">No stage before the final one, a missing part, or a module used twice.</exception>
    public EarlyExitChain(IEnumerable<ChainStage> stages, Module<Tensor, Tensor> final)
        : base(nameof(EarlyExitChain))
    {
        ArgumentNullException.ThrowIfNull(stages);
        stageArray = [.. stages];
        if (stageArray.Length == 0) throw new ArgumentException(OneStage, nameof(stages));
        if (final is null) throw new ArgumentException("An early-exit chain needs a final stage: a plain module after the Stage(body, exit) stages.", nameof(final));
        CheckNoModuleTwice(stageArray, final);
        this.stages = new ModuleList<ChainStage>(stageArray);
        this.final = final;
        exitWeights = [.. Enumerable.Repeat(1.0 / ExitCount, ExitCount)];
        RegisterComponents();
    }

    /// <summary>Why a chain of one stage is refused.</summary>
    internal const string OneStage =
        "An early-exit chain needs at least two stages: one or more Stage(body, exit) and then the final module. "
        + "A chain of one stage has no early exit: that is a plain model, so return the module itself.";

    /// <summary>The stages with an exit head, in order (stage 1 first); the final stage is <see cref="Final"/>.</summary>
    public IReadOnlyList<ChainStage> Stages => stageArray;

    /// <summary>The last stage: its output is the last exit (exit <see cref="ExitCount"/>).</summary>
    public Module<Tensor, Tensor> Final => final;

    /// <summary>The number of exits: one per <see cref="Stages"/> plus the final stage.</summary>
    public int ExitCount => stageArray.Length + 1;

    /// <summary>Each exit's weight in the joint training loss (they sum to 1; equal unless <see cref="WithExitWeights"/> set them).</summary>
    public IReadOnlyList<double> ExitWeights => exitWeights;

    /// <summary>
    /// Sets each exit's relative weight in the joint training loss Σ wᵢ · loss(exitᵢ), exit 1 first and the final stage
    /// last; they are scaled to sum to 1 (so <c>(1, 1, 2)</c> is <c>(0.25, 0.25, 0.5)</c>). Returns the chain.
    /// </summary>
    /// <exception cref="ArgumentException">Not one weight per exit, a negative or non-finite weight, or all zero.</exception>
    public EarlyExitChain WithExitWeights(params double[] weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        if (weights.Length != ExitCount)
            throw new ArgumentException(Invariant($"WithExitWeights needs one weight per exit: this chain has {ExitCount} exits ({stageArray.Length} Stage exits and the final stage), but {weights.Length} weights were given."), nameof(weights));
        for (var i = 0; i < weights.Length; i++)
        {
            if (!double.IsFinite(weights[i]) || weights[i] < 0)
                throw new ArgumentException(Invariant($"The weight of exit {i + 1} is {weights[i]}; exit weights must be 0 or more."), nameof(weights));
        }
        var sum = weights.Sum();
        if (sum <= 0) throw new ArgumentException("At least one exit weight must be above 0.", nameof(weights));
        exitWeights = [.. weights.Select(w => w / sum)];
        return this;
    }

    /// <summary>The prefix of stage <paramref name="stage"/>'s parameter names (1-based): <c>stages.0.</c>, ..., <c>final.</c> for the last.</summary>
    public string StatePrefix(int stage)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(stage, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(stage, ExitCount);
        return stage == ExitCount ? nameof(final) + "." : Invariant($"{nameof(stages)}.{stage - 1}.");
    }

    /// <summary>The final stage's output, through every body (no exit head runs).</summary>
    public override Tensor forward(Tensor input)
    {
        var x = input;
        for (var k = 1; k <= stageArray.Length; k++) x = Step(k, "body", stageArray[k - 1].Body, x);
        return Step(ExitCount, null, final, x);
    }

    /// <summary>Every exit's output of one forward pass, exit 1 first and the final stage's output last.</summary>
    public IReadOnlyList<Tensor> ForwardExits(Tensor input) => [.. Run(input).Select(s => s.Exit)];

    /// <summary>
    /// One forward pass stage by stage: what each stage hands upward (null for the final stage) and its exit's output.
    /// A stage that fails names itself and the shape it was given (<see cref="ChainShapeException"/>).
    /// </summary>
    public IReadOnlyList<(Tensor? Upward, Tensor Exit)> Run(Tensor input)
    {
        var outputs = new List<(Tensor?, Tensor)>(ExitCount);
        var x = input;
        for (var k = 1; k <= stageArray.Length; k++)
        {
            x = Step(k, "body", stageArray[k - 1].Body, x);
            outputs.Add((x, Step(k, "exit", stageArray[k - 1].Exit, x)));
        }
        outputs.Add((null, Step(ExitCount, null, final, x)));
        return outputs;
    }

    /// <summary>
    /// Exit <paramref name="exit"/> (1-based) as a module of its own: stages 1..exit's bodies, then that exit's head
    /// (the last exit is the chain itself). It shares the chain's modules: do not dispose it; the chain does.
    /// </summary>
    public Module<Tensor, Tensor> Exit(int exit)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(exit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(exit, ExitCount);
        if (exit == ExitCount) return this;
        exitModules ??= new ExitModule?[stageArray.Length];
        return exitModules[exit - 1] ??= new ExitModule(this, exit);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && exitModules is not null)
            foreach (var module in exitModules) module?.Dispose();
        base.Dispose(disposing);
    }

    private Tensor Step(int stage, string? part, Module<Tensor, Tensor> module, Tensor input)
    {
        try
        {
            return module.call(input);
        }
        catch (Exception e) when (e is not (OperationCanceledException or OutOfMemoryException or ChainShapeException))
        {
            var what = part is null ? Invariant($"the final stage (stage {stage})") : Invariant($"stage {stage}'s {part}");
            var given = (stage, part) switch
            {
                (1, "body") => $"the chain's input of shape {SampleSet.Describe(input.shape)}",
                (_, "exit") => $"the output of shape {SampleSet.Describe(input.shape)} its body hands upward",
                _ => Invariant($"the output of shape {SampleSet.Describe(input.shape)} stage {stage - 1} hands upward"),
            };
            throw new ChainShapeException(stage, $"The chain's stages do not connect: {what} cannot take {given}: {FirstLine(e.Message)}", e);
        }
    }

    private static void CheckNoModuleTwice(ChainStage[] stages, Module<Tensor, Tensor> final)
    {
        var seen = new Dictionary<Module, string>(ReferenceEqualityComparer.Instance);
        for (var k = 1; k <= stages.Length + 1; k++)
        {
            var parts = k <= stages.Length
                ? new (string, Module)[] { ("body", stages[k - 1].Body), ("exit", stages[k - 1].Exit) }
                : [("module", final)];
            foreach (var (part, module) in parts)
            {
                var name = k <= stages.Length ? Invariant($"stage {k}'s {part}") : "the final stage";
                if (!seen.TryAdd(module, name))
                    throw new ArgumentException($"{Capitalized(name)} is the same module as {seen[module]}; every stage needs modules of its own (their weights are trained and exported per stage).");
            }
        }
    }

    private static string Capitalized(string text) => char.ToUpperInvariant(text[0]) + text[1..];

    private static string FirstLine(string message)
    {
        var line = message.AsSpan().Trim();
        var end = line.IndexOfAny('\n', '\r');
        return (end < 0 ? line : line[..end]).ToString();
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    /// <summary>One early exit as a module: the chain's bodies up to its stage, then its head. Registers nothing (the chain owns the modules).</summary>
    private sealed class ExitModule(EarlyExitChain chain, int exit) : Module<Tensor, Tensor>(Invariant($"exit{exit}"))
    {
        public override Tensor forward(Tensor input) => chain.Run(input, exit);

        // The chain's modules are not this module's children: switch them with it (eval() for evaluation).
        public override void train(bool train = true)
        {
            base.train(train);
            chain.train(train);
        }
    }

    /// <summary>Exit <paramref name="exit"/>'s output alone (stages after it do not run).</summary>
    private Tensor Run(Tensor input, int exit)
    {
        var x = input;
        for (var k = 1; k <= exit; k++) x = Step(k, "body", stageArray[k - 1].Body, x);
        return Step(exit, "exit", stageArray[exit - 1].Exit, x);
    }
}

/// <summary>A stage of an <see cref="EarlyExitChain"/> could not take what it was given (usually a shape that does not connect).</summary>
public sealed class ChainShapeException(int stage, string message, Exception? inner) : InvalidOperationException(message, inner)
{
    /// <summary>The stage that failed (1-based; the final stage is the chain's exit count).</summary>
    public int Stage { get; } = stage;
}
