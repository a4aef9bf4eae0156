using KafkaMl.Core.Chains;
using KafkaMl.Tests.Training;

namespace KafkaMl.Tests.Chains;

/// <summary>
/// The model check of a chain: the stages, each exit's output shape and what each stage hands upward, or where the
/// stages stop connecting. In this process (<see cref="ModelScriptInspector"/>) and once through the real verb.
/// </summary>
[Collection(TorchGlobalState.Name)]
public sealed class ChainCheckSpecs
{
    [Fact]
    public async Task The_check_lists_the_stages_with_each_exits_shape_and_the_shape_each_stage_hands_upward()
    {
        var report = await ModelScriptInspector.InspectAsync(ChainScripts.ThreeStages, [4], CancellationToken.None);

        Assert.True(report.Ok, report.Error);
        var p = ChainScripts.ThreeStagesParameters;
        Assert.Equal(
            [
                $"stage 1: {p[0].Body} + exit {p[0].Exit}, takes [1, 4], hands [1, 16] up, exit gives [1, 3]",
                $"stage 2: {p[1].Body} + exit {p[1].Exit}, takes [1, 16], hands [1, 8] up, exit gives [1, 3]",
                $"stage 3: {p[2].Body} + exit , takes [1, 8], hands - up, exit gives [1, 3]",
            ],
            report.Stages!.Select(Describe));
        Assert.Equal([1L, 3L], report.OutputShape);
        Assert.Equal(p.Sum(s => s.Body + (s.Exit ?? 0)), report.Parameters);
        Assert.Equal(3, report.ExitWeights!.Count);
    }

    [Fact]
    public async Task Without_an_input_shape_the_stages_are_listed_without_shapes()
    {
        var report = await ModelScriptInspector.InspectAsync(ChainScripts.ThreeStages, null, CancellationToken.None);

        Assert.True(report.Ok, report.Error);
        Assert.Equal([1, 2, 3], report.Stages!.Select(s => s.Stage));
        Assert.All(report.Stages!, s => Assert.Null(s.ExitShape));
        Assert.Null(report.OutputShape);
    }

    [Fact]
    public async Task Stages_that_do_not_connect_are_refused_naming_the_stages_and_the_shapes()
    {
        var report = await ModelScriptInspector.InspectAsync(ChainScripts.StagesThatDoNotConnect, [4], CancellationToken.None);

        Assert.False(report.Ok);
        Assert.Equal(ModelCheckFailure.Forward, report.Failure);
        Assert.Contains("stage 2's body cannot take the output of shape [1, 16] stage 1 hands upward", report.Error);
        Assert.Contains("(1x16 and 12x8)", report.Error);
        Assert.Equal(3, report.Stages!.Count);
    }

    [Fact]
    public async Task An_exit_that_answers_other_classes_than_the_final_stage_is_refused()
    {
        var report = await ModelScriptInspector.InspectAsync(ChainScripts.ExitsOfDifferentClasses, [4], CancellationToken.None);

        Assert.False(report.Ok);
        Assert.Equal(ModelCheckFailure.Forward, report.Failure);
        Assert.Contains("stage 1's exit gives [1, 2], but the final stage (stage 2) gives [1, 3]", report.Error);
    }

    [Fact]
    public async Task The_model_check_verb_reports_the_stages_as_JSON()
    {
        var checker = new ModelScriptChecker(new ModelScriptCheckerOptions { ExecutablePath = KafkaMlProcess.WebDllPath, TimeLimit = TimeSpan.FromMinutes(2) });

        var report = await checker.CheckAsync(ChainScripts.WeightedDefinition);

        Assert.True(report.Ok, report.Error);
        Assert.Equal([[1L, 16L], [1L, 8L], null], report.Stages!.Select(s => s.UpwardShape?.ToArray()));
        Assert.Equal([0.25, 0.25, 0.5], report.ExitWeights);
        Assert.Equal([1L, 3L], report.OutputShape);
    }

    private static string Describe(ChainStageCheck s) =>
        $"stage {s.Stage}: {s.Parameters} + exit {s.ExitParameters}, takes {Shape(s.InputShape)}, hands {Shape(s.UpwardShape)} up, exit gives {Shape(s.ExitShape)}";

    private static string Shape(IReadOnlyList<long>? shape) => shape is null ? "-" : $"[{string.Join(", ", shape)}]";
}
