namespace KafkaMl.Web.Components.Pages.Models;

/// <summary>A model script to start from: a name for the picker, what it is for, and its code.</summary>
public sealed record ModelTemplate(string Key, string Title, string Description, string Name, string Code);

/// <summary>
/// The templates the model page offers, in one place. Each fixes its input shape so the check also runs a dry
/// forward pass and the summary shows the output shape.
/// </summary>
public static class ModelTemplates
{
    /// <summary>The Kafka-ML paper's COPD classifier, shaped for <c>samples/hcopd/hcopd.csv</c>: 3 features (Gender, Age, Smoking) and the Diagnosis label.</summary>
    public static readonly ModelTemplate Hcopd = new(
        "hcopd",
        "HCOPD MLP (Kafka-ML paper)",
        "3 features (Gender, Age, Smoking) → 2 classes (COPD or not); train on samples/hcopd/hcopd.csv with Diagnosis as the label.",
        "hcopd-mlp",
        """
        // HCOPD, the Kafka-ML paper's MLP: 3 features (Gender, Age, Smoking) -> 2 classes (Diagnosis).
        new ModelDefinition(Sequential(
            ("drop", Dropout(0.2)),
            ("fc1", Linear(3, 4)),
            ("sig", Sigmoid()),
            ("fc2", Linear(4, 2))))
        {
            InputShape = [3],
        }
        """);

    /// <summary>A small convolutional network for 28×28 grey images (MNIST-like) in 10 classes.</summary>
    public static readonly ModelTemplate ImageCnn = new(
        "image-cnn",
        "Image CNN (1×28×28 → 10 classes)",
        "Two convolution blocks and a linear classifier for 28×28 grey images (MNIST-like); send RAW with data_reshape \"1 28 28\".",
        "image-cnn",
        """
        // Images of 1x28x28 (send RAW with data_reshape "1 28 28") -> 10 classes.
        new ModelDefinition(Sequential(
            ("conv1", Conv2d(1, 16, 3, padding: 1)),
            ("relu1", ReLU()),
            ("pool1", MaxPool2d(2)),
            ("conv2", Conv2d(16, 32, 3, padding: 1)),
            ("relu2", ReLU()),
            ("pool2", MaxPool2d(2)),
            ("flat", Flatten()),
            ("fc", Linear(32 * 7 * 7, 10))))
        {
            InputShape = [1, 28, 28],
        }
        """);

    /// <summary>A regression MLP: 8 numeric features to one value, trained on mean squared error.</summary>
    public static readonly ModelTemplate Regression = new(
        "regression",
        "Regression MLP (8 features → 1 value)",
        "Two hidden layers predicting one number from 8 features; fixes the loss to mse and reports mae.",
        "regression-mlp",
        """
        // Regression: 8 numeric features -> 1 value, mean squared error.
        var features = 8;
        new ModelDefinition(Sequential(
            ("fc1", Linear(features, 32)),
            ("relu1", ReLU()),
            ("fc2", Linear(32, 16)),
            ("relu2", ReLU()),
            ("out", Linear(16, 1))))
        {
            InputShape = [features],
            Loss = "mse",
            Metrics = ["mae"],
        }
        """);

    public static readonly IReadOnlyList<ModelTemplate> All = [Hcopd, ImageCnn, Regression];

    public static ModelTemplate? Find(string? key) => All.FirstOrDefault(t => t.Key == key);
}
