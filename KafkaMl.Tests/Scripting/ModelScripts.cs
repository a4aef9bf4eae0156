namespace KafkaMl.Tests.Scripting;

/// <summary>Test-data builder: model scripts as users write them.</summary>
internal static class ModelScripts
{
    /// <summary>The paper's HCOPD classifier: 3 features, 2 classes, 3*4+4 + 4*2+2 = 26 parameters.</summary>
    public const string HcopdMlp =
        """Sequential(("drop", Dropout(0.2)), ("fc1", Linear(3, 4)), ("sig", Sigmoid()), ("fc2", Linear(4, 2)))""";

    public const int HcopdMlpParameters = 3 * 4 + 4 + 4 * 2 + 2;

    /// <summary>A minimal valid final expression.</summary>
    public const string AnyModel = "Linear(3, 2)";

    /// <summary>The HCOPD MLP spread over several lines with its sizes in variables.</summary>
    public const string MultiLineHcopdMlp =
        """
        var features = 3;
        var hidden = 4;
        var classes = 2;
        Sequential(
            ("drop", Dropout(0.2)),
            ("fc1", Linear(features, hidden)),
            ("sig", Sigmoid()),
            ("fc2", Linear(hidden, classes)))
        """;

    /// <summary>A model class of its own, registered the TorchSharp way.</summary>
    public const string CustomModule =
        """
        class Net : Module<Tensor, Tensor>
        {
            private readonly Module<Tensor, Tensor> fc1 = Linear(3, 8);
            private readonly Module<Tensor, Tensor> fc2 = Linear(8, 2);

            public Net() : base(nameof(Net)) => RegisterComponents();

            public override Tensor forward(Tensor input)
            {
                using var scope = NewDisposeScope();
                return fc2.forward(functional.relu(fc1.forward(input))).MoveToOuterDisposeScope();
            }
        }

        new Net()
        """;

    /// <summary>The richer result: module plus training settings and the input shape.</summary>
    public const string HcopdDefinition =
        """
        new ModelDefinition(Sequential(("fc1", Linear(3, 4)), ("sig", Sigmoid()), ("fc2", Linear(4, 2))))
        {
            Loss = "cross_entropy",
            Optimizer = "adam",
            LearningRate = 0.01,
            Metrics = ["accuracy"],
            InputShape = [3],
        }
        """;

    /// <summary><paramref name="statements"/> on line 2 (after a comment), then <see cref="AnyModel"/> on line 3.</summary>
    public static string OnLineTwo(string statements) => $"// a model script\n{statements}\n{AnyModel}";
}
