using KafkaMl.Tests.Scripting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using static KafkaMl.Tests.Support.Builders;

namespace KafkaMl.Tests.Apis;

/// <summary>The models API checking scripts: compile, sandbox, build and input shape, each once.</summary>
public sealed class ModelScriptsApiSpecs : ModelsApiSpecBase
{
    [Fact]
    public async Task Creating_a_model_whose_script_does_not_compile_answers_400_on_code_with_line_and_column()
    {
        await using var db = Database.CreateContext();

        var result = await ModelsApi.CreateModel(AModelRequest(code: ModelScripts.OnLineTwo("var x = ;")), Models(db), Ct);

        var messages = ApiAssert.ValidationProblem(result.Result, "code");
        Assert.Matches(@"^line 2, column \d+: .+\(CS\d+\)$", messages[0]);
        var diagnostics = Assert.IsAssignableFrom<IEnumerable<ScriptDiagnostic>>(
            Assert.IsType<ValidationProblem>(result.Result).ProblemDetails.Extensions["diagnostics"]);
        Assert.Contains(diagnostics, d => d.Line == 2 && d.Severity == ScriptDiagnosticSeverity.Error);
        Assert.Equal(0, await db.Models.CountAsync());
        Assert.Equal(0, BuildChecker.Calls); // not built when it does not even compile
    }

    [Fact]
    public async Task Creating_a_model_whose_script_leaves_the_sandbox_answers_400_on_code_naming_the_position()
    {
        await using var db = Database.CreateContext();

        var result = await ModelsApi.CreateModel(
            AModelRequest(code: ModelScripts.OnLineTwo("""var secret = System.IO.File.ReadAllText("/etc/passwd");""")), Models(db), Ct);

        var messages = ApiAssert.ValidationProblem(result.Result, "code");
        Assert.Contains(messages, m => m.StartsWith("line 2, column ", StringComparison.Ordinal) && m.Contains("KML1001"));
        Assert.Equal(0, await db.Models.CountAsync());
    }

    [Fact]
    public async Task Creating_a_model_whose_script_does_not_build_answers_400_on_code_with_the_build_error()
    {
        BuildChecker.Report = ModelCheckReport.Failed(ModelCheckFailure.Build, "hidden size must be even");
        await using var db = Database.CreateContext();

        var result = await ModelsApi.CreateModel(AModelRequest(), Models(db), Ct);

        var messages = ApiAssert.ValidationProblem(result.Result, "code");
        Assert.Equal(["Building the model failed: hidden size must be even"], messages);
        Assert.Equal(0, await db.Models.CountAsync());
    }

    [Fact]
    public async Task Creating_a_model_with_a_bad_name_answers_without_building_the_script()
    {
        await using var db = Database.CreateContext();

        await ModelsApi.CreateModel(AModelRequest(name: ""), Models(db), Ct);

        Assert.Equal(0, BuildChecker.Calls);
    }

    [Fact]
    public async Task Validating_the_same_script_twice_builds_it_once()
    {
        await using var db = Database.CreateContext();

        await ModelsApi.CreateModel(AModelRequest(code: ModelScripts.MultiLineHcopdMlp), Models(db), Ct);
        await ModelsApi.CreateModel(AModelRequest(code: ModelScripts.MultiLineHcopdMlp), Models(db), Ct);

        Assert.Equal(1, BuildChecker.Calls);
    }

    [Fact]
    public async Task Updating_a_model_without_changing_its_code_does_not_build_it_again()
    {
        var seeded = await Database.SeedModelAsync();
        await using var db = Database.CreateContext();

        var result = await ModelsApi.UpdateModel(seeded.Id, AModelRequest(name: "renamed", code: seeded.Code), Models(db), Ct);

        Assert.IsType<Ok<ModelResponse>>(result.Result);
        Assert.Equal(0, BuildChecker.Calls);
    }

    [Fact]
    public async Task Updating_a_model_with_code_that_does_not_compile_answers_400_and_keeps_the_old_code()
    {
        var seeded = await Database.SeedModelAsync();
        await using var db = Database.CreateContext();

        var result = await ModelsApi.UpdateModel(seeded.Id, AModelRequest(code: "Linear(3, 2);"), Models(db), Ct);

        ApiAssert.ValidationProblem(result.Result, "code");
        await using var check = Database.CreateContext();
        Assert.Equal(seeded.Code, (await check.Models.SingleAsync()).Code);
    }

    [Fact]
    public async Task Validating_a_script_answers_its_diagnostics_and_what_the_build_found()
    {
        BuildChecker.Report = new ModelCheckReport { Ok = true, Parameters = 8, Layers = [new ModelLayer("fc", "Linear", 8)], OutputShape = [1, 2] };

        var result = await ModelsApi.ValidateModel(new ModelValidationRequest("Linear(3, 2)", JsonSerializer.SerializeToElement("3")), Models(), Ct);

        var response = Assert.IsType<Ok<ModelValidationResponse>>(result.Result).Value!;
        Assert.True(response.Ok);
        Assert.Equal((8L, 1), (response.Parameters, response.Layers!.Count));
        Assert.Equal([3L], BuildChecker.LastInputShape);
    }

    [Theory]
    [InlineData("\"0\"")]
    [InlineData("\"three\"")]
    [InlineData("[]")]
    [InlineData("[3, -1]")]
    [InlineData("{}")]
    public async Task Validating_with_a_bad_input_shape_answers_400_on_inputShape(string shape)
    {
        var result = await ModelsApi.ValidateModel(new ModelValidationRequest("Linear(3, 2)", JsonDocument.Parse(shape).RootElement), Models(), Ct);

        ApiAssert.ValidationProblem(result.Result, "inputShape");
    }
}
