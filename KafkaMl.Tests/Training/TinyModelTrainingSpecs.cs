using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace KafkaMl.Tests.Training;

public sealed class TinyModelTrainingSpecs
{
    public TinyModelTrainingSpecs() => TorchNative.EnsureLoadable();

    [Fact]
    public void A_tiny_model_trains_and_its_loss_falls()
    {
        const int steps = 150;
        var generator = new Generator(seed: 20260501);
        using var inputs = randn([256, 4], generator: generator);
        using var weights = tensor(new[] { 1.5f, -2f, 0.5f, 3f }).reshape(4, 1);
        using var targets = inputs.matmul(weights).add_(randn([256, 1], generator: generator).mul_(0.05));

        manual_seed(20260501);
        using var model = Sequential(("fc1", Linear(4, 16)), ("relu", ReLU()), ("fc2", Linear(16, 1)));
        using var lossFunction = MSELoss();
        using var optimizer = optim.Adam(model.parameters(), lr: 0.01);

        var losses = new List<float>(steps);
        model.train();
        for (var step = 0; step < steps; step++)
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            var loss = lossFunction.forward(model.forward(inputs), targets);
            loss.backward();
            optimizer.step();
            losses.Add(loss.item<float>());
        }

        Assert.All(losses, l => Assert.True(float.IsFinite(l), $"loss {l} is not finite"));
        Assert.True(losses[^1] < losses[0] * 0.1f, $"loss fell only from {losses[0]} to {losses[^1]}");
    }
}
