using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace KafkaMl.Core.Chains;

/// <summary>
/// A stage of an <see cref="EarlyExitChain"/> below the final one: a <see cref="Body"/> that turns what the stage
/// receives into the features it hands upward, and an <see cref="Exit"/> head that turns those features into class
/// scores. A script writes it as <c>Stage(body, exit)</c> (<see cref="ChainScript.Stage"/>).
/// </summary>
/// <remarks>
/// The field names are the stage's parameter-name segments: the chain's state holds <c>stages.0.body.*</c> and
/// <c>stages.0.exit.*</c> (see <see cref="EarlyExitChain.StatePrefix"/>). Its forward is the body's: what goes upward.
/// </remarks>
public sealed class ChainStage : Module<Tensor, Tensor>
{
    private readonly Module<Tensor, Tensor> body;
    private readonly Module<Tensor, Tensor> exit;

    /// <exception cref="ArgumentException">A part is missing, or the body and the exit are the same module.</exception>
    public ChainStage(Module<Tensor, Tensor> body, Module<Tensor, Tensor> exit)
        : base(nameof(ChainStage))
    {
        this.body = body ?? throw new ArgumentException("Stage(body, exit) needs a body: the layers whose output goes up to the next stage.", nameof(body));
        this.exit = exit ?? throw new ArgumentException("Stage(body, exit) needs an exit: the head that turns the body's output into class scores.", nameof(exit));
        if (ReferenceEquals(body, exit))
            throw new ArgumentException("Stage(body, exit) needs two different modules: the body and the exit head.", nameof(exit));
        RegisterComponents();
    }

    /// <summary>The layers whose output is handed upward (and read by <see cref="Exit"/>).</summary>
    public Module<Tensor, Tensor> Body => body;

    /// <summary>The exit head: class scores from the body's output.</summary>
    public Module<Tensor, Tensor> Exit => exit;

    /// <summary>What this stage hands upward: the body's output.</summary>
    public override Tensor forward(Tensor input) => body.call(input);
}
