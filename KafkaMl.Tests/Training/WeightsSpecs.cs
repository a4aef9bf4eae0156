using static TorchSharp.torch;

namespace KafkaMl.Tests.Training;

[Collection(TorchGlobalState.Name)]
public sealed class WeightsSpecs : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("kafkaml-weights-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void A_safetensors_file_has_the_reference_layout_without_padding_when_the_header_fills_8_byte_words()
    {
        using var attention = arange(6, ScalarType.Float32).reshape(1, 2, 3);

        var bytes = Write(new() { ["attn.0"] = attention });

        // 8-byte little-endian header length, the JSON header, then the floats 0..5 little-endian.
        var header = """{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}""";
        Assert.Equal(64, header.Length);
        Assert.Equal([64, 0, 0, 0, 0, 0, 0, 0, .. Encoding.UTF8.GetBytes(header), .. FloatBytes(0, 1, 2, 3, 4, 5)], bytes);
    }

    [Fact]
    public void A_safetensors_header_is_padded_with_spaces_to_8_byte_words()
    {
        using var attention = arange(6, ScalarType.Float32).reshape(1, 1, 2, 3);

        var bytes = Write(new() { ["attn0"] = attention });

        var header = """{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}""" + new string(' ', 7);
        Assert.Equal([72, 0, 0, 0, 0, 0, 0, 0, .. Encoding.UTF8.GetBytes(header), .. FloatBytes(0, 1, 2, 3, 4, 5)], bytes);
    }

    [Fact]
    public void Safetensors_metadata_comes_first_in_the_header()
    {
        var bytes = Write([], new Dictionary<string, string> { ["framework"] = "pt" });

        Assert.Equal([40, 0, 0, 0, 0, 0, 0, 0, .. Encoding.UTF8.GetBytes("""{"__metadata__":{"framework":"pt"}}""" + "     ")], bytes);
    }

    [Fact]
    public void Safetensors_lay_out_larger_element_types_first_then_names()
    {
        using var small = ones(2, ScalarType.Int8);
        using var wide = ones(1, ScalarType.Int64);
        using var b = ones(1, ScalarType.Float32);
        using var a = ones(1, ScalarType.Float32);

        var path = Path.Combine(_directory, "order.safetensors");
        SafeTensorsWriter.Write(path, new Dictionary<string, Tensor> { ["small"] = small, ["b"] = b, ["wide"] = wide, ["a"] = a });
        using var file = SafeTensorsReader.Read(path);

        Assert.Equal(["wide", "a", "b", "small"], file.Tensors.Select(t => t.Key));
    }

    [Fact]
    public void Tensors_written_as_safetensors_read_back_identical()
    {
        using var scope = NewDisposeScope();
        var tensors = new Dictionary<string, Tensor>
        {
            ["f32"] = randn(3, 4),
            ["f64"] = randn(2, 2, ScalarType.Float64),
            ["f16"] = randn(5, ScalarType.Float16),
            ["bf16"] = randn(5, ScalarType.BFloat16),
            ["i64"] = arange(7, ScalarType.Int64),
            ["i32"] = arange(3, ScalarType.Int32).neg(),
            ["u8"] = arange(255, ScalarType.Byte),
            ["flag"] = tensor(new[] { true, false, true }),
            ["scalar"] = tensor(3.5f),
            ["empty"] = zeros(0, 3),
            ["view"] = arange(12, ScalarType.Float32).reshape(3, 4).t(),
        };
        var path = Path.Combine(_directory, "all.safetensors");

        SafeTensorsWriter.Write(path, tensors, new Dictionary<string, string> { ["who"] = "spec" });
        using var file = SafeTensorsReader.Read(path);

        Assert.Equal("spec", file.Metadata["who"]);
        Assert.Equal(tensors.Keys.Order(), file.ByName.Keys.Order());
        foreach (var (name, expected) in tensors)
        {
            var actual = file[name];
            Assert.Equal(expected.dtype, actual.dtype);
            Assert.Equal(expected.shape, actual.shape);
            Assert.True(expected.eq(actual).all().item<bool>(), $"{name} differs");
        }
    }

    [Fact]
    public void A_truncated_safetensors_file_is_rejected()
    {
        using var weights = randn(4, 4);
        var bytes = Write(new() { ["w"] = weights });

        Assert.Throws<InvalidDataException>(() => SafeTensorsReader.Read(new MemoryStream(bytes[..^4])));
    }

    [Fact]
    public void The_exported_names_are_the_state_dict_names_PyTorch_uses_for_the_same_Sequential()
    {
        using var model = TrainingData.HcopdModel(seed: 1);
        var path = Path.Combine(_directory, "hcopd.safetensors");

        ModelWeights.ExportSafeTensors(model, path, new Dictionary<string, string> { ["model"] = "hcopd" });
        using var file = SafeTensorsReader.Read(path);

        Assert.Equal(
            ["fc1.bias [4]", "fc1.weight [4, 3]", "fc2.bias [2]", "fc2.weight [2, 4]"],
            file.Tensors.Select(t => $"{t.Key} [{string.Join(", ", t.Value.shape)}]"));
        Assert.All(file.Tensors, t => Assert.Equal(ScalarType.Float32, t.Value.dtype));
        Assert.Equal("pt", file.Metadata["format"]);
        Assert.Equal("hcopd", file.Metadata["model"]);
    }

    [Fact]
    public void An_unnamed_Sequential_exports_the_layer_indices_as_PyTorch_does()
    {
        using var model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2));
        var path = Path.Combine(_directory, "unnamed.safetensors");

        ModelWeights.ExportSafeTensors(model, path);
        using var file = SafeTensorsReader.Read(path);

        Assert.Equal(["0.bias", "0.weight", "2.bias", "2.weight"], file.Tensors.Select(t => t.Key));
    }

    [Fact]
    public Task Weights_loaded_from_safetensors_into_a_fresh_model_predict_the_same() =>
        AssertAFreshModelPredictsTheSameAfterLoading("trained.safetensors", (m, p) => ModelWeights.ExportSafeTensors(m, p), (m, p) => ModelWeights.ImportSafeTensors(m, p));

    [Fact]
    public Task Weights_saved_in_TorchSharp_format_load_back_and_predict_the_same() =>
        AssertAFreshModelPredictsTheSameAfterLoading("trained.bin", ModelWeights.Save, ModelWeights.Load);

    /// <summary>Saves a trained model's weights, loads them into a fresh model of other initial weights, and compares their outputs.</summary>
    private async Task AssertAFreshModelPredictsTheSameAfterLoading(
        string fileName, Action<nn.Module<Tensor, Tensor>, string> save, Action<nn.Module<Tensor, Tensor>, string> load)
    {
        var (trained, samples) = await TrainedHcopdModel();
        using var _ = trained;
        var path = Path.Combine(_directory, fileName);
        save(trained, path);

        using var fresh = TrainingData.HcopdModel(seed: 99);
        Assert.NotEqual(Outputs(trained, samples), Outputs(fresh, samples));
        load(fresh, path);

        Assert.Equal(Outputs(trained, samples), Outputs(fresh, samples));
    }

    [Fact]
    public void Importing_the_weights_of_another_model_names_what_does_not_fit()
    {
        using var other = TrainingData.Mlp(3, 2);
        var path = Path.Combine(_directory, "other.safetensors");
        ModelWeights.ExportSafeTensors(other, path);
        using var model = TrainingData.HcopdModel(seed: 1);

        var error = Assert.Throws<TrainingException>(() => ModelWeights.ImportSafeTensors(model, path));

        Assert.Contains("fc1.weight", error.Message);
        Assert.Contains("[8, 3]", error.Message);
    }

    private static async Task<(nn.Module<Tensor, Tensor> Model, SampleSet Samples)> TrainedHcopdModel()
    {
        var (split, _) = TrainingData.Hcopd().Split(0.1, 0.1, seed: 3).Standardize();
        var model = TrainingData.HcopdModel(seed: 3);
        await Trainer.TrainAsync(model, split.Train, null, TrainingData.Settings(epochs: 3, learningRate: 0.01, batchSize: 10), null, CancellationToken.None);
        return (model, split.Test);
    }

    private static float[][] Outputs(nn.Module<Tensor, Tensor> model, SampleSet samples) =>
        [.. new InferenceModel(model, loss: Loss.CrossEntropy).Predict(samples).Select(p => p.Values)];

    private static byte[] Write(Dictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        using var stream = new MemoryStream();
        SafeTensorsWriter.Write(stream, tensors, metadata);
        return stream.ToArray();
    }

    private static byte[] FloatBytes(params float[] values) => [.. values.SelectMany(BitConverter.GetBytes)];
}
