using System.IO.Compression;
using System.Text;
using KafkaMl.Core.PyTorch;

namespace KafkaMl.Tests.PyTorch;

/// <summary>The checked-in PyTorch fixtures (see Fixtures/README.md) and hostile files built in the tests.</summary>
internal static class PyTorchFixtures
{
    public static string Folder => Path.Combine(KafkaMlProcess.RepoRoot, "KafkaMl.Tests", "PyTorch", "Fixtures");

    public static byte[] SafeTensors => File.ReadAllBytes(Path.Combine(Folder, "mlp.safetensors"));

    public static byte[] StateDict => File.ReadAllBytes(Path.Combine(Folder, "mlp.pt"));

    public static Reference Expected { get; } = JsonSerializer.Deserialize<Reference>(File.ReadAllText(Path.Combine(Folder, "reference.json")), JsonSerializerOptions.Web)!;

    /// <summary>The model script the fixtures' weights belong to, its inputs and what PyTorch predicts for them.</summary>
    public sealed record Reference(string Script, float[][] Inputs, float[][] Outputs);

    /// <summary>
    /// A <c>torch.save</c>-shaped zip whose data.pkl is Python's pickle of <c>os.system(command)</c> (protocol 2, as
    /// <c>pickle.dumps</c> writes a reduce to it on Linux): what an unpickler that runs globals would execute.
    /// </summary>
    public static byte[] OsSystemPickle(string command)
    {
        using var pickle = new MemoryStream();
        pickle.Write([0x80, 0x02]); // PROTO 2
        pickle.Write(Encoding.ASCII.GetBytes("cposix\nsystem\n")); // GLOBAL posix.system (os.system)
        pickle.WriteByte((byte)'X');
        var text = Encoding.UTF8.GetBytes(command);
        pickle.Write(BitConverter.GetBytes(text.Length)); // BINUNICODE length (little-endian)
        pickle.Write(text);
        pickle.Write([0x85, (byte)'R', (byte)'.']); // TUPLE1, REDUCE, STOP
        return TorchZip(pickle.ToArray());
    }

    /// <summary>A zip laid out as <c>torch.save</c> lays one out, holding <paramref name="pickle"/> as archive/data.pkl.</summary>
    public static byte[] TorchZip(byte[] pickle, IReadOnlyDictionary<string, byte[]>? storages = null)
    {
        using var zip = new MemoryStream();
        using (var archive = new ZipArchive(zip, ZipArchiveMode.Create, leaveOpen: true))
        {
            Add(archive, "archive/data.pkl", pickle);
            Add(archive, "archive/byteorder", Encoding.ASCII.GetBytes("little"));
            foreach (var (key, data) in storages ?? new Dictionary<string, byte[]>()) Add(archive, $"archive/data/{key}", data);
            Add(archive, "archive/version", Encoding.ASCII.GetBytes("3\n"));
        }
        return zip.ToArray();
    }

    /// <summary>A safetensors file of float32 tensors of the given names and shapes (values 0.5).</summary>
    public static byte[] SafeTensorsOf(params (string Name, long[] Shape)[] tensors) =>
        SafeTensorsBytes.Write(tensors.Select(t => new StateTensor(t.Name, TorchSharp.torch.ScalarType.Float32, t.Shape,
            [.. Enumerable.Repeat(BitConverter.GetBytes(0.5f), (int)t.Shape.Aggregate(1L, (a, d) => a * d)).SelectMany(b => b)])));

    private static void Add(ZipArchive archive, string name, byte[] data)
    {
        using var entry = archive.CreateEntry(name, CompressionLevel.NoCompression).Open();
        entry.Write(data);
    }
}
