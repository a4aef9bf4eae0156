using System.IO.Compression;
using KafkaMl.Core.Chains;
using KafkaMl.Tests.Training;
using ModelBuilder = KafkaMl.Core.Scripting.ModelBuilder;

namespace KafkaMl.Tests.Chains;

/// <summary>One stage's weights cut out of a chain's files, loadable into that stage alone (what an edge device downloads).</summary>
[Collection(TorchGlobalState.Name)]
public sealed class ChainStageWeightsSpecs : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("kafkaml-stage-weights-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private static async Task<EarlyExitChain> BuildAsync(int seed) =>
        (EarlyExitChain)(await ModelBuilder.BuildAsync(ChainData.Script, null, seed, CancellationToken.None)).Module;

    private static void AssertSameState(TorchSharp.torch.nn.Module expected, TorchSharp.torch.nn.Module actual)
    {
        var want = expected.state_dict();
        var got = actual.state_dict();
        Assert.Equal(want.Keys.Order(), got.Keys.Order());
        Assert.All(want, p => Assert.True(p.Value.allclose(got[p.Key], rtol: 0, atol: 0), $"{p.Key} differs"));
    }

    [Fact]
    public async Task Stage_1s_TorchSharp_and_safetensors_files_load_into_its_Stage_body_and_exit_alone()
    {
        using var trained = await BuildAsync(seed: 1);
        using var fresh = await BuildAsync(seed: 2);
        var dat = Path.Combine(directory, "model.dat");
        var safetensors = Path.Combine(directory, "model.safetensors");
        ModelWeights.Save(trained, dat);
        ModelWeights.ExportSafeTensors(trained, safetensors);

        var prefix = ChainStageWeights.Prefix(1, trained.ExitCount);
        await File.WriteAllBytesAsync(Path.Combine(directory, "stage1.dat"), ChainStageWeights.TorchSharp(await File.ReadAllBytesAsync(dat), prefix));
        ModelWeights.Load(fresh.Stages[0], Path.Combine(directory, "stage1.dat"));
        AssertSameState(trained.Stages[0], fresh.Stages[0]);

        using var other = await BuildAsync(seed: 3);
        await File.WriteAllBytesAsync(Path.Combine(directory, "stage1.safetensors"), ChainStageWeights.SafeTensors(await File.ReadAllBytesAsync(safetensors), prefix));
        ModelWeights.ImportSafeTensors(other.Stages[0], Path.Combine(directory, "stage1.safetensors"));
        AssertSameState(trained.Stages[0], other.Stages[0]);
    }

    [Fact]
    public async Task The_final_stages_files_load_into_the_final_module_alone()
    {
        using var trained = await BuildAsync(seed: 1);
        using var fresh = await BuildAsync(seed: 2);
        var dat = Path.Combine(directory, "model.dat");
        ModelWeights.Save(trained, dat);

        await File.WriteAllBytesAsync(Path.Combine(directory, "final.dat"), ChainStageWeights.TorchSharp(await File.ReadAllBytesAsync(dat), ChainStageWeights.Prefix(3, 3)));
        ModelWeights.Load(fresh.Final, Path.Combine(directory, "final.dat"));

        AssertSameState(trained.Final, fresh.Final);
    }

    [Fact]
    public async Task A_finished_chain_results_stage_downloads_as_a_zip_of_that_stage_alone()
    {
        using var trained = await BuildAsync(seed: 1);
        using var fresh = await BuildAsync(seed: 2);
        ModelWeights.Save(trained, Path.Combine(directory, "model.dat"));
        ModelWeights.ExportSafeTensors(trained, Path.Combine(directory, "model.safetensors"));
        using var harness = new TrainingHarness();
        var resultId = await harness.SeedResultAsync(TrainingStatus.Training);
        await using (var db = harness.CreateContext())
        {
            var form = OrchestrationBuilders.AResultForm(OrchestrationBuilders.AResultReport() with { Chain = ChainReports.AThreeExitReport() },
                await File.ReadAllBytesAsync(Path.Combine(directory, "model.dat")), await File.ReadAllBytesAsync(Path.Combine(directory, "model.safetensors")));
            await TrainingJobsApi.UploadResult(resultId, form, db, harness.Orchestrator, harness.Notifier, CancellationToken.None);
        }
        await using var context = harness.CreateContext();
        var results = new ResultService(new KafkaMl.Tests.Apis.ContextsLike(context), harness.Orchestrator, harness.Notifier, harness.Runner, harness.KafkaMlOptions);

        var bundle = (await results.StageBundleAsync(resultId, 2)).Value!;

        using var zip = new ZipArchive(new MemoryStream(bundle.Zip));
        Assert.Equal(["metadata.json", "model.csx", "stage2.dat", "stage2.safetensors"], zip.Entries.Select(e => e.FullName).Order());
        zip.GetEntry("stage2.dat")!.ExtractToFile(Path.Combine(directory, "stage2.dat"));
        ModelWeights.Load(fresh.Stages[1], Path.Combine(directory, "stage2.dat"));
        AssertSameState(trained.Stages[1], fresh.Stages[1]);
        Assert.Equal(OutcomeKind.Invalid, (await results.StageBundleAsync(resultId, 4)).Kind);
    }

    [Fact]
    public void A_file_that_is_not_weights_is_refused_with_a_reason()
    {
        var error = Assert.Throws<InvalidDataException>(() => ChainStageWeights.TorchSharp([0x05, 0x03, 0x61], "final."));

        Assert.Contains("ends inside an entry", error.Message, StringComparison.Ordinal);
    }
}
