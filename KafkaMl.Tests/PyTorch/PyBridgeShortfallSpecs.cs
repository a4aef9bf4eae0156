using System.Collections;
using KafkaMl.Core.PyTorch;
using TorchSharp.PyBridge;

namespace KafkaMl.Tests.PyTorch;

/// <summary>
/// Why the importer reads <c>.pt</c> files with its own allow-list loader instead of TorchSharp.PyBridge's
/// (Razorvine.Pickle underneath): PyBridge turns a global it does not know into a placeholder object and carries on,
/// so a file naming <c>subprocess.Popen</c> loads without complaint; ours refuses it naming the global.
/// </summary>
public sealed class PyBridgeShortfallSpecs
{
    /// <summary>OrderedDict({'x': subprocess.Popen()}) in torch.save's zip.</summary>
    private static byte[] StateDictWithPopen() => PyTorchFixtures.TorchZip(
    [
        0x80, 0x02, .. "ccollections\nOrderedDict\n"u8.ToArray(), (byte)')', (byte)'R',
        (byte)'X', 1, 0, 0, 0, (byte)'x', .. "csubprocess\nPopen\n"u8.ToArray(), (byte)')', (byte)'R', (byte)'s', (byte)'.',
    ]);

    [Fact]
    public void PyBridge_accepts_an_unknown_global_as_a_placeholder()
    {
        var loaded = PyTorchUnpickler.UnpickleStateDict(new MemoryStream(StateDictWithPopen()));

        var placeholder = Assert.IsType<Razorvine.Pickle.Objects.ClassDict>(Assert.IsAssignableFrom<Hashtable>(loaded)["x"]);
        Assert.Equal("subprocess.Popen", placeholder.ClassName);
    }

    [Fact]
    public void The_importers_loader_refuses_the_same_file_naming_the_global()
    {
        var refused = Assert.Throws<WeightsFormatException>(() => TorchStateDictReader.Read(StateDictWithPopen()));

        Assert.Contains("'subprocess.Popen'", refused.Message);
    }
}
