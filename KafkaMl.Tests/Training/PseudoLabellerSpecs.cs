using static TorchSharp.torch.nn;

namespace KafkaMl.Tests.Training;

/// <summary>An identity model makes the features the logits, so every prediction and its confidence is chosen by hand.</summary>
public sealed class PseudoLabellerSpecs
{
    /// <summary>Logits: confidently 0, unsure, confidently 1, unsure, confidently 0.</summary>
    private static readonly SampleSet Pool = SampleSet.FromArrays([4, 0, 0.1f, 0, 0, 4, 0, 0.1f, 5, 1], [2]);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(1024)]
    public void Samples_predicted_with_the_confidence_get_their_class_as_label_whatever_the_batch_size(int batchSize)
    {
        using var model = Sequential(("id", Identity()));

        var labels = PseudoLabeller.Label(model, Pool, Loss.CrossEntropy, confidence: 0.9, labelShape: [1], batchSize);

        Assert.Equal([4, 0, 0, 4, 5, 1], labels.Added!.Features.ToArray());
        Assert.Equal([0, 1, 0], labels.Added.Labels.ToArray());
        Assert.Equal([0.1f, 0, 0, 0.1f], labels.Left!.Features.ToArray());
        Assert.False(labels.Left.HasLabels);
        Assert.Equal(new Dictionary<int, int> { [0] = 2, [1] = 1 }, labels.ClassCounts);
    }

    [Fact]
    public void One_hot_labelled_data_gets_one_hot_pseudo_labels()
    {
        using var model = Sequential(("id", Identity()));

        var labels = PseudoLabeller.Label(model, Pool, Loss.CrossEntropy, confidence: 0.9, labelShape: [2]);

        Assert.Equal([2], labels.Added!.LabelShape.ToArray());
        Assert.Equal([1, 0, 0, 1, 1, 0], labels.Added.Labels.ToArray());
    }

    [Fact]
    public void A_single_binary_output_is_as_sure_of_class_0_as_its_sigmoid_is_far_below_one_half()
    {
        using var model = Sequential(("id", Identity()));
        var pool = SampleSet.FromArrays([3, -3, 0.1f, -0.1f], [1]);

        var labels = PseudoLabeller.Label(model, pool, Loss.BinaryCrossEntropy, confidence: 0.95, labelShape: [1]);

        Assert.Equal([3, -3], labels.Added!.Features.ToArray()); // sigmoid(3) = 0.953
        Assert.Equal([1, 0], labels.Added.Labels.ToArray());
        Assert.Equal(2, labels.Left!.Count);
    }

    [Fact]
    public void Nothing_confident_enough_leaves_the_whole_pool()
    {
        using var model = Sequential(("id", Identity()));

        var labels = PseudoLabeller.Label(model, Pool, Loss.CrossEntropy, confidence: 1, labelShape: [1]);

        Assert.Null(labels.Added);
        Assert.Same(Pool, labels.Left);
        Assert.Empty(labels.ClassCounts);
    }

    [Theory]
    [InlineData(Loss.Mse, 1)]
    [InlineData(Loss.Mae, 1)]
    [InlineData(Loss.BinaryCrossEntropy, 3)]
    public void Losses_without_one_class_per_sample_are_refused_with_a_reason(Loss loss, int labelSize)
    {
        using var model = Sequential(("id", Identity()));

        Assert.NotNull(PseudoLabeller.Problem(loss, labelSize));
        var refusal = Assert.Throws<TrainingException>(() => PseudoLabeller.Label(model, Pool, loss, 0.9, [labelSize]));
        Assert.StartsWith("Self-training needs", refusal.Message, StringComparison.Ordinal);
    }
}
