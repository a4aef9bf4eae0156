using KafkaMl.Core.PyTorch;

namespace KafkaMl.Tests.PyTorch;

public sealed class TorchStateDictReaderSpecs
{
    [Fact]
    public void The_pt_fixture_reads_as_the_state_dict_the_safetensors_fixture_holds()
    {
        var fromPickle = TorchStateDictReader.Read(PyTorchFixtures.StateDict);
        var fromSafeTensors = SafeTensorsBytes.Read(PyTorchFixtures.SafeTensors);

        Assert.Equal(["0.weight", "0.bias", "2.weight", "2.bias"], fromPickle.Select(t => t.Name));
        Assert.Equal([[8, 6], [8], [3, 8], [3]], fromPickle.Select(t => t.Shape));
        foreach (var tensor in fromPickle)
        {
            var same = fromSafeTensors.Single(t => t.Name == tensor.Name);
            Assert.Equal(same.Shape, tensor.Shape);
            Assert.Equal(same.Data, tensor.Data);
        }
    }

    [Fact]
    public void A_pickle_calling_os_system_is_refused_naming_it_and_runs_nothing()
    {
        var marker = Path.Combine(Path.GetTempPath(), $"kafkaml-pickle-ran-{Guid.NewGuid():N}");

        var refused = Assert.Throws<WeightsFormatException>(() => TorchStateDictReader.Read(PyTorchFixtures.OsSystemPickle($"touch {marker}")));

        Assert.Contains("'posix.system'", refused.Message);
        Assert.Contains("refused before anything ran", refused.Message);
        Assert.False(File.Exists(marker));
    }

    [Fact]
    public void A_global_outside_the_allow_list_is_refused_even_when_never_called()
    {
        // PROTO 2, GLOBAL builtins.eval, STOP: naming it is enough.
        var pickle = PyTorchFixtures.TorchZip([0x80, 0x02, .. "cbuiltins\neval\n"u8.ToArray(), (byte)'.']);

        var refused = Assert.Throws<WeightsFormatException>(() => TorchStateDictReader.Read(pickle));

        Assert.Contains("'builtins.eval'", refused.Message);
    }

    [Fact]
    public void An_opcode_a_state_dict_never_needs_is_refused()
    {
        // PROTO 2, GLOBAL collections.OrderedDict, EMPTY_TUPLE, NEWOBJ (0x81): object construction by class.
        var pickle = PyTorchFixtures.TorchZip([0x80, 0x02, .. "ccollections\nOrderedDict\n"u8.ToArray(), (byte)')', 0x81, (byte)'.']);

        var refused = Assert.Throws<WeightsFormatException>(() => TorchStateDictReader.Read(pickle));

        Assert.Contains("opcode 0x81", refused.Message);
    }

    [Fact]
    public void A_file_holding_something_else_than_tensors_is_refused_naming_the_entry()
    {
        // {'epoch': 3}: a checkpoint dict, not a state dict.
        var pickle = PyTorchFixtures.TorchZip([0x80, 0x02, (byte)'}', (byte)'X', 5, 0, 0, 0, .. "epoch"u8.ToArray(), (byte)'K', 3, (byte)'s', (byte)'.']);

        var refused = Assert.Throws<WeightsFormatException>(() => TorchStateDictReader.Read(pickle));

        Assert.Contains("'epoch' holds a int, not a tensor", refused.Message);
    }

    [Fact]
    public void A_transposed_tensor_is_read_in_c_order_through_its_strides()
    {
        // A [2, 3] tensor over storage 0..5 with strides (1, 2): element [i, j] is storage[i + 2j].
        var storage = new float[] { 0, 1, 2, 3, 4, 5 }.SelectMany(BitConverter.GetBytes).ToArray();
        byte[] pickle =
        [
            0x80, 0x02, .. "ccollections\nOrderedDict\n"u8.ToArray(), (byte)')', (byte)'R',
            (byte)'X', 1, 0, 0, 0, (byte)'t',
            .. "ctorch._utils\n_rebuild_tensor_v2\n"u8.ToArray(), (byte)'(',
            (byte)'(', (byte)'X', 7, 0, 0, 0, .. "storage"u8.ToArray(), .. "ctorch\nFloatStorage\n"u8.ToArray(),
            (byte)'X', 1, 0, 0, 0, (byte)'0', (byte)'X', 3, 0, 0, 0, .. "cpu"u8.ToArray(), (byte)'K', 6, (byte)'t', (byte)'Q',
            (byte)'K', 0, (byte)'K', 2, (byte)'K', 3, 0x86, (byte)'K', 1, (byte)'K', 2, 0x86, 0x89, (byte)'N', (byte)'t', (byte)'R',
            (byte)'s', (byte)'.',
        ];

        var tensor = Assert.Single(TorchStateDictReader.Read(PyTorchFixtures.TorchZip(pickle, new Dictionary<string, byte[]> { ["0"] = storage })));

        Assert.Equal([2, 3], tensor.Shape);
        Assert.Equal(new float[] { 0, 2, 4, 1, 3, 5 }, Enumerable.Range(0, 6).Select(i => BitConverter.ToSingle(tensor.Data, i * 4)));
    }
}
