using System.IO.Compression;
using KafkaMl.Core.Jobs;
using KafkaMl.Core.Jobs.Inference;
using KafkaMl.Core.PyTorch;
using KafkaMl.Tests.PyTorch;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Primitives;

namespace KafkaMl.Tests.Apis;

/// <summary>
/// <c>POST /api/results/import</c> over a fresh database, with the model check run in this process on the real script
/// (<see cref="InProcessBuildChecker"/>): weights made outside the project become a finished result that serves what
/// PyTorch predicts, and anything else is refused naming why.
/// </summary>
public sealed class ResultImportApiSpecs : HarnessSpecBase
{
    private ResultService Results(KafkaMlDbContext db) => new(new ContextsLike(db), Harness.Orchestrator, Harness.Notifier, Harness.Runner, Harness.KafkaMlOptions);

    private static ModelValidator Validator => InProcessBuildChecker.Validator;

    [Theory]
    [InlineData("mlp.safetensors", ImportFormats.SafeTensors)]
    [InlineData("mlp.pt", ImportFormats.PyTorch)]
    public async Task Weights_made_outside_the_project_serve_what_pytorch_predicts(string file, string format)
    {
        var modelId = await PyTorchFixtures.SeedModelAsync(Harness, PyTorchFixtures.Expected.Script);

        var imported = await ImportAsync(modelId, file, File.ReadAllBytes(Path.Combine(PyTorchFixtures.Folder, file)));

        var result = Assert.IsType<Created<ResultResponse>>(imported.Result).Value!;
        Assert.Equal(TrainingStatus.Finished, result.Status);
        Assert.True(result.ModelAvailable);
        Assert.Equal(new ResultImportedResponse(file, format), result.Imported);
        // The serving path: the replica's loader builds the script and loads the result's model.dat.
        var loader = await ModelLoader.CompileAsync(PyTorchFixtures.Expected.Script, loss: null, Ct);
        var model = await loader.LoadAsync(Path.Combine(Harness.Orchestrator.ResultDirectory(result.Id), ResultFiles.Weights), scaler: null, Ct);
        for (var i = 0; i < PyTorchFixtures.Expected.Inputs.Length; i++)
        {
            var predicted = model.Predict(PyTorchFixtures.Expected.Inputs[i]).Values;
            Assert.Equal(PyTorchFixtures.Expected.Outputs[i].Length, predicted.Length);
            for (var o = 0; o < predicted.Length; o++) Assert.Equal(PyTorchFixtures.Expected.Outputs[i][o], predicted[o], 1e-5f);
        }
    }

    [Fact]
    public async Task The_bundle_of_an_imported_result_holds_the_imported_tensors_as_safetensors()
    {
        var modelId = await PyTorchFixtures.SeedModelAsync(Harness, PyTorchFixtures.Expected.Script);
        var created = Assert.IsType<Created<ResultResponse>>((await ImportAsync(modelId, "mlp.pt", PyTorchFixtures.StateDict)).Result).Value!;
        await using var db = Harness.CreateContext();

        var download = await ResultsApi.DownloadModel(created.Id, Results(db), Ct);

        var zip = Assert.IsType<FileContentHttpResult>(download.Result);
        using var archive = new ZipArchive(new MemoryStream(zip.FileContents.ToArray()));
        using var entry = new MemoryStream();
        archive.GetEntry(ResultFiles.Safetensors)!.Open().CopyTo(entry);
        var bundled = SafeTensorsBytes.Read(entry.ToArray());
        var original = SafeTensorsBytes.Read(PyTorchFixtures.SafeTensors);
        Assert.Equal(original.Select(t => (t.Name, t.Data)).OrderBy(t => t.Name), bundled.Select(t => (t.Name, t.Data)).OrderBy(t => t.Name), new TensorComparer());
    }

    [Fact]
    public async Task A_pt_pickle_carrying_os_system_is_refused_with_400_and_runs_nothing()
    {
        var modelId = await PyTorchFixtures.SeedModelAsync(Harness, PyTorchFixtures.Expected.Script);
        var marker = Path.Combine(Path.GetTempPath(), $"kafkaml-import-ran-{Guid.NewGuid():N}");

        var imported = await ImportAsync(modelId, "evil.pt", PyTorchFixtures.OsSystemPickle($"touch {marker}"));

        var problem = Assert.IsType<ValidationProblem>(imported.Result);
        Assert.Contains("'posix.system'", Assert.Single(problem.ProblemDetails.Errors["weights"]));
        Assert.False(File.Exists(marker));
        await using var db = Harness.CreateContext();
        Assert.Empty(db.TrainingResults);
    }

    [Fact]
    public async Task Wrong_tensor_names_and_shapes_answer_400_naming_each_tensor()
    {
        var modelId = await PyTorchFixtures.SeedModelAsync(Harness, PyTorchFixtures.Expected.Script);
        var weights = PyTorchFixtures.SafeTensorsOf(("0.weight", [8, 5]), ("0.bias", [8]), ("2.weight", [3, 8]), ("fc3.weight", [3, 3]));

        var imported = await ImportAsync(modelId, "wrong.safetensors", weights);

        var errors = Assert.IsType<ValidationProblem>(imported.Result).ProblemDetails.Errors["weights"];
        Assert.Equal(3, errors.Length);
        Assert.Contains(errors, e => e.StartsWith("'0.weight': wrong shape: [8, 5] in the file, [8, 6] in the model", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("'2.bias': missing", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("'fc3.weight': unexpected", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Names_saved_under_a_data_parallel_wrapper_import_without_the_module_prefix()
    {
        var modelId = await PyTorchFixtures.SeedModelAsync(Harness, PyTorchFixtures.Expected.Script);
        var weights = PyTorchFixtures.SafeTensorsOf(("module.0.weight", [8, 6]), ("module.0.bias", [8]), ("module.2.weight", [3, 8]), ("module.2.bias", [3]));

        var imported = await ImportAsync(modelId, "wrapped.safetensors", weights);

        Assert.IsType<Created<ResultResponse>>(imported.Result);
    }

    [Fact]
    public async Task The_model_weights_and_optional_fields_are_checked_field_by_field()
    {
        var imported = await ImportAsync(modelId: 999, "mlp.safetensors", [], scaler: "{\"mean\": [1]}", inputFormat: "XML", loss: "hinge");

        var errors = Assert.IsType<ValidationProblem>(imported.Result).ProblemDetails.Errors;
        Assert.Equal(["inputFormat", "loss", "modelId", "scaler", "weights"], errors.Keys.Order());
        Assert.Contains("Model 999 does not exist", errors["modelId"][0]);
    }

    [Fact]
    public async Task The_scaler_and_input_format_are_kept_for_inference()
    {
        var modelId = await PyTorchFixtures.SeedModelAsync(Harness, PyTorchFixtures.Expected.Script);

        var imported = await ImportAsync(modelId, "mlp.safetensors", PyTorchFixtures.SafeTensors,
            scaler: "{\"mean\": [0,0,0,0,0,0], \"std\": [1,1,1,1,1,2]}", inputFormat: "raw", inputConfig: "{\"data_type\": \"float32\"}", loss: "mse");

        var result = Assert.IsType<Created<ResultResponse>>(imported.Result).Value!;
        var stored = await Harness.ReadResultAsync(result.Id);
        Assert.Equal("RAW", stored.InputFormat);
        Assert.Contains("\"std\"", stored.Scaler);
        await using var db = Harness.CreateContext();
        var deployment = db.Deployments.Include(d => d.Configuration).Single(d => d.Id == result.DeploymentId);
        Assert.Equal(Loss.Mse, deployment.Loss);
        Assert.Equal(0, deployment.Epochs);
        Assert.Equal(ResultService.ImportConfigurationName(result.ModelName), deployment.Configuration!.Name);
    }

    [Fact]
    public async Task Imports_of_one_model_share_its_import_configuration_one_deployment_each()
    {
        var modelId = await PyTorchFixtures.SeedModelAsync(Harness, PyTorchFixtures.Expected.Script);

        var first = Assert.IsType<Created<ResultResponse>>((await ImportAsync(modelId, "a.pt", PyTorchFixtures.StateDict)).Result).Value!;
        var second = Assert.IsType<Created<ResultResponse>>((await ImportAsync(modelId, "b.safetensors", PyTorchFixtures.SafeTensors)).Result).Value!;

        await using var db = Harness.CreateContext();
        var deployments = db.Deployments.Where(d => d.Id == first.DeploymentId || d.Id == second.DeploymentId).ToList();
        Assert.Equal(2, deployments.Count);
        Assert.Single(deployments.Select(d => d.ConfigurationId).Distinct());
    }

    private Task<Results<Created<ResultResponse>, ValidationProblem, NotFound<Microsoft.AspNetCore.Mvc.ProblemDetails>>> ImportAsync(
        int modelId, string fileName, byte[] weights, string? scaler = null, string? inputFormat = null, string? inputConfig = null, string? loss = null)
    {
        var fields = new Dictionary<string, StringValues> { [ResultImportFields.ModelId] = modelId.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        if (scaler is not null) fields[ResultImportFields.Scaler] = scaler;
        if (inputFormat is not null) fields[ResultImportFields.InputFormat] = inputFormat;
        if (inputConfig is not null) fields[ResultImportFields.InputConfig] = inputConfig;
        if (loss is not null) fields[ResultImportFields.Loss] = loss;
        return PyTorchFixtures.ImportAsync(Harness, new FormCollection(fields, Files(fileName, weights)));
    }

    private static FormFileCollection Files(string fileName, byte[] weights) =>
        [new FormFile(new MemoryStream(weights), 0, weights.Length, ResultImportFields.Weights, fileName)];

    private sealed class TensorComparer : IEqualityComparer<(string Name, byte[] Data)>
    {
        public bool Equals((string Name, byte[] Data) x, (string Name, byte[] Data) y) => x.Name == y.Name && x.Data.SequenceEqual(y.Data);

        public int GetHashCode((string Name, byte[] Data) obj) => obj.Name.GetHashCode(StringComparison.Ordinal);
    }
}
