namespace KafkaMl.Tests.Chains;

/// <summary>Test-data builder: early-exit chain scripts as users write them.</summary>
internal static class ChainScripts
{
    /// <summary>Edge, fog and cloud over 4 features and 3 classes: stage 1 hands [n, 16] up, stage 2 [n, 8].</summary>
    public const string ThreeStages =
        """
        EarlyExitChain(
            Stage(Sequential(("fc", Linear(4, 16)), ("relu", ReLU())), Linear(16, 3)),
            Stage(Sequential(("fc", Linear(16, 8)), ("relu", ReLU())), Linear(8, 3)),
            Sequential(("fc", Linear(8, 8)), ("relu", ReLU()), ("out", Linear(8, 3))))
        """;

    /// <summary>Body parameters of <see cref="ThreeStages"/>'s stages, exit parameters, and the final stage's.</summary>
    public static readonly (long Body, long? Exit)[] ThreeStagesParameters =
        [(4 * 16 + 16, 16 * 3 + 3), (16 * 8 + 8, 8 * 3 + 3), (8 * 8 + 8 + 8 * 3 + 3, null)];

    /// <summary>Stage 2's body expects 12 features but stage 1 hands 16 upward.</summary>
    public const string StagesThatDoNotConnect =
        """
        EarlyExitChain(
            Stage(Sequential(("fc", Linear(4, 16)), ("relu", ReLU())), Linear(16, 3)),
            Stage(Linear(12, 8), Linear(8, 3)),
            Linear(8, 3))
        """;

    /// <summary>Stage 1's exit answers 2 classes, the final stage 3.</summary>
    public const string ExitsOfDifferentClasses =
        """
        EarlyExitChain(
            Stage(Linear(4, 16), Linear(16, 2)),
            Linear(16, 3))
        """;

    /// <summary>A single module given as a chain.</summary>
    public const string OneStage = "EarlyExitChain(Linear(4, 3))";

    /// <summary>The last stage given with an exit head of its own.</summary>
    public const string LastStageWithAnExit = "EarlyExitChain(Stage(Linear(4, 8), Linear(8, 3)), Stage(Linear(8, 8), Linear(8, 3)))";

    /// <summary>A stage below the final one without an exit head.</summary>
    public const string StageWithoutAnExit = "EarlyExitChain(Stage(Linear(4, 8), Linear(8, 3)), Linear(8, 8), Linear(8, 3))";

    /// <summary><see cref="ThreeStages"/> with weights (1, 1, 2) as a definition with its training settings.</summary>
    public const string WeightedDefinition =
        $$"""
        new ModelDefinition(
            {{ThreeStages}}
            .WithExitWeights(1, 1, 2))
        {
            Loss = "cross_entropy", Optimizer = "adam", LearningRate = 0.01, Metrics = ["accuracy"], InputShape = [4],
        }
        """;
}
