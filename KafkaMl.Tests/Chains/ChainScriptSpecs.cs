using KafkaMl.Core.Chains;
using KafkaMl.Tests.Training;
using ModelBuilder = KafkaMl.Core.Scripting.ModelBuilder;
using static TorchSharp.torch;

namespace KafkaMl.Tests.Chains;

/// <summary>A model script that ends in <c>EarlyExitChain(Stage(body, exit), ..., final)</c>, built in this process.</summary>
[Collection(TorchGlobalState.Name)]
public sealed class ChainScriptSpecs
{
    [Fact]
    public async Task A_three_stage_chain_gives_every_exit_in_one_pass_and_its_final_exit_as_its_output()
    {
        using var chain = await BuildChainAsync(ChainScripts.ThreeStages);
        using var scope = NewDisposeScope();
        var input = randn(5, 4);

        var exits = chain.ForwardExits(input);
        var output = chain.call(input);

        Assert.Equal(3, chain.ExitCount);
        Assert.Equal(2, chain.Stages.Count);
        Assert.All(exits, e => Assert.Equal([5L, 3L], e.shape));
        Assert.True(output.allclose(exits[^1]), "the chain's output is its final exit's");
        var stage2 = chain.Stages[1];
        Assert.True(chain.Exit(2).call(input).allclose(exits[1]), "exit 2 as a module of its own answers as in the whole pass");
        Assert.True(stage2.Exit.call(stage2.Body.call(chain.Stages[0].Body.call(input))).allclose(exits[1]));
    }

    [Fact]
    public async Task Parameters_are_named_by_stage_so_each_stage_can_be_exported_alone()
    {
        using var chain = await BuildChainAsync(ChainScripts.ThreeStages);

        var names = chain.state_dict().Keys.ToList();

        Assert.Equal(
            ["stages.0.body.fc.weight", "stages.0.body.fc.bias", "stages.0.exit.weight", "stages.0.exit.bias",
             "stages.1.body.fc.weight", "stages.1.body.fc.bias", "stages.1.exit.weight", "stages.1.exit.bias",
             "final.fc.weight", "final.fc.bias", "final.out.weight", "final.out.bias"],
            names);
        Assert.Equal(["stages.0.", "stages.1.", "final."], Enumerable.Range(1, 3).Select(chain.StatePrefix));
    }

    [Theory]
    [InlineData(ChainScripts.OneStage, "that is a plain model")]
    [InlineData(ChainScripts.LastStageWithAnExit, "The last stage (stage 2) is the final one")]
    [InlineData(ChainScripts.StageWithoutAnExit, "Stage 2 of the chain is a Linear, not a Stage(body, exit)")]
    public async Task A_chain_that_is_not_stages_then_a_final_module_is_refused_saying_why(string script, string reason)
    {
        var error = await Assert.ThrowsAsync<ModelBuildException>(() => ModelBuilder.BuildAsync(script, null, seed: 1, CancellationToken.None));

        Assert.Contains(reason, error.Message);
    }

    [Fact]
    public async Task A_module_used_in_two_stages_is_refused()
    {
        const string Script = "var head = Linear(8, 3); EarlyExitChain(Stage(Linear(4, 8), head), Stage(Linear(8, 8), head), Linear(8, 3))";

        var error = await Assert.ThrowsAsync<ModelBuildException>(() => ModelBuilder.BuildAsync(Script, null, seed: 1, CancellationToken.None));

        Assert.Contains("Stage 2's exit is the same module as stage 1's exit", error.Message);
    }

    [Fact]
    public async Task Exit_weights_are_equal_by_default_and_scaled_to_sum_to_one_when_the_script_sets_them()
    {
        using var plain = await BuildChainAsync(ChainScripts.ThreeStages);
        var definition = await ModelBuilder.BuildAsync(ChainScripts.WeightedDefinition, null, seed: 1, CancellationToken.None);
        using var weighted = Assert.IsType<EarlyExitChain>(definition.Module);

        Assert.Equal([1 / 3.0, 1 / 3.0, 1 / 3.0], plain.ExitWeights);
        Assert.Equal([0.25, 0.25, 0.5], weighted.ExitWeights);
        Assert.Equal([4L], definition.InputShape);
    }

    [Theory]
    [InlineData(".WithExitWeights(1, 1)", "one weight per exit: this chain has 3 exits")]
    [InlineData(".WithExitWeights(1, -1, 1)", "The weight of exit 2 is -1")]
    [InlineData(".WithExitWeights(0, 0, 0)", "At least one exit weight must be above 0")]
    public async Task Exit_weights_that_do_not_fit_the_chain_are_refused(string call, string reason)
    {
        var error = await Assert.ThrowsAsync<ModelBuildException>(() => ModelBuilder.BuildAsync(ChainScripts.ThreeStages + call, null, seed: 1, CancellationToken.None));

        Assert.Contains(reason, error.Message);
    }

    private static async Task<EarlyExitChain> BuildChainAsync(string script)
    {
        var definition = await ModelBuilder.BuildAsync(script, null, seed: 1, CancellationToken.None);
        return Assert.IsType<EarlyExitChain>(definition.Module);
    }
}
