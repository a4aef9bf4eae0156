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

    /// <summary>Posts <paramref name="form"/> to the import handler over <paramref name="harness"/>'s database and data directory.</summary>
    public static async Task<Microsoft.AspNetCore.Http.HttpResults.Results<Microsoft.AspNetCore.Http.HttpResults.Created<ResultResponse>,
        Microsoft.AspNetCore.Http.HttpResults.ValidationProblem, Microsoft.AspNetCore.Http.HttpResults.NotFound<Microsoft.AspNetCore.Mvc.ProblemDetails>>> ImportAsync(
        TrainingHarness harness, IFormCollection form)
    {
        await using var db = harness.CreateContext();
        var results = new ResultService(new KafkaMl.Tests.Apis.ContextsLike(db), harness.Orchestrator, harness.Notifier, harness.Runner, harness.KafkaMlOptions);
        return await ResultsApi.ImportResult(form, results, InProcessBuildChecker.Validator, CancellationToken.None);
    }

    /// <summary>Imports the safetensors fixture for a new model of the fixtures' script; returns the model's and the result's ids.</summary>
    public static async Task<(int ModelId, int ResultId)> ImportFixtureAsync(TrainingHarness harness)
    {
        var modelId = await SeedModelAsync(harness, Expected.Script);
        var form = new FormCollection(
            new Dictionary<string, Microsoft.Extensions.Primitives.StringValues> { [ResultImportFields.ModelId] = modelId.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            new FormFileCollection { new FormFile(new MemoryStream(SafeTensors), 0, SafeTensors.Length, ResultImportFields.Weights, "mlp.safetensors") });
        var created = Assert.IsType<Microsoft.AspNetCore.Http.HttpResults.Created<ResultResponse>>((await ImportAsync(harness, form)).Result);
        return (modelId, created.Value!.Id);
    }

    /// <summary>A new model of <paramref name="script"/>; returns its id.</summary>
    public static async Task<int> SeedModelAsync(TrainingHarness harness, string script)
    {
        await using var db = harness.CreateContext();
        var model = Builders.AModel();
        model.Code = script;
        db.Models.Add(model);
        await db.SaveChangesAsync();
        return model.Id;
    }

    private static void Add(ZipArchive archive, string name, byte[] data)
    {
        using var entry = archive.CreateEntry(name, CompressionLevel.NoCompression).Open();
        entry.Write(data);
    }
}
