using KafkaMl.Core.PyTorch;

namespace KafkaMl.Tests.PyTorch;

/// <summary>What the importer checks weights against, as the portal gets it: from the model-check child process.</summary>
public sealed class ModelCheckTensorsSpecs
{
    [Fact]
    public async Task The_model_check_verb_reports_the_state_dict_the_script_builds()
    {
        var checker = new ModelScriptChecker(new ModelScriptCheckerOptions { ExecutablePath = KafkaMlProcess.WebDllPath, TimeLimit = TimeSpan.FromMinutes(2) });

        var report = await checker.CheckAsync(PyTorchFixtures.Expected.Script);

        Assert.True(report.Ok, report.Error);
        Assert.Equal(
            [new ModelTensor("0.weight", [8, 6], "float32"), new ModelTensor("0.bias", [8], "float32"), new ModelTensor("2.weight", [3, 8], "float32"), new ModelTensor("2.bias", [3], "float32")],
            report.Tensors!.Select(t => t with { Shape = [.. t.Shape] }),
            new TensorComparer());
    }

    private sealed class TensorComparer : IEqualityComparer<ModelTensor>
    {
        public bool Equals(ModelTensor? x, ModelTensor? y) => x!.Name == y!.Name && x.Dtype == y.Dtype && x.Shape.SequenceEqual(y.Shape);

        public int GetHashCode(ModelTensor obj) => obj.Name.GetHashCode(StringComparison.Ordinal);
    }
}
