using System.Text.Json;
using System.Text.Json.Serialization;

namespace KafkaMl.Core.Scripting;

/// <summary>Why a model check failed.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ModelCheckFailure>))]
public enum ModelCheckFailure
{
    /// <summary>The check was asked wrongly (unknown option, bad input shape, unreadable script file).</summary>
    [JsonStringEnumMemberName("usage")] Usage,
    /// <summary>The script does not compile or its final expression is not a model; see the diagnostics.</summary>
    [JsonStringEnumMemberName("compilation")] Compilation,
    /// <summary>The script uses something outside the sandbox's allow-list; see the diagnostics.</summary>
    [JsonStringEnumMemberName("sandbox")] Sandbox,
    /// <summary>Running the script threw, or what it returned is not a valid model definition.</summary>
    [JsonStringEnumMemberName("build")] Build,
    /// <summary>The dry forward pass with a zero batch of the input shape threw (usually a shape mismatch).</summary>
    [JsonStringEnumMemberName("forward")] Forward,
    /// <summary>The check ran past its time limit and was killed.</summary>
    [JsonStringEnumMemberName("timeout")] Timeout,
    /// <summary>The check needed more memory than its limit allows.</summary>
    [JsonStringEnumMemberName("memory")] Memory,
    /// <summary>The check process ended without a report (crashed, or could not start).</summary>
    [JsonStringEnumMemberName("crash")] Crash,
}

/// <summary>A named child of the model: <c>{"name":"fc1","type":"Linear","parameters":16}</c>.</summary>
public sealed record ModelLayer(string Name, string Type, long Parameters);

/// <summary>
/// What checking a model script in a child process found. The <c>model-check</c> verb prints it as one JSON line
/// (<see cref="JsonOptions"/>): <c>{"ok":true,"parameters":26,"layers":[...],"outputShape":[1,2]}</c> or
/// <c>{"ok":false,"failure":"forward","error":"..."}</c>; <see cref="ModelScriptChecker"/> reads it back and adds
/// what only the parent knows (exit code, elapsed time, the end of standard error).
/// </summary>
public sealed record ModelCheckReport
{
    /// <summary>JSON as the verb prints it: camelCase, nulls left out, enums as their lowercase names.</summary>
    public static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public bool Ok { get; init; }

    /// <summary>What went wrong; null when <see cref="Ok"/>.</summary>
    public ModelCheckFailure? Failure { get; init; }

    /// <summary>A readable account of the failure; null when <see cref="Ok"/>.</summary>
    public string? Error { get; init; }

    /// <summary>Compiler and sandbox diagnostics (errors and warnings), when compilation ran.</summary>
    public IReadOnlyList<ScriptDiagnostic>? Diagnostics { get; init; }

    /// <summary>SHA-256 of the script that was checked.</summary>
    public string? CodeHash { get; init; }

    /// <summary>Total number of parameters (trainable or not) of the model.</summary>
    public long? Parameters { get; init; }

    /// <summary>The model's named children, in order.</summary>
    public IReadOnlyList<ModelLayer>? Layers { get; init; }

    /// <summary>The model's state dict (names, shapes, element types): what imported weights must match (issue 20).</summary>
    public IReadOnlyList<PyTorch.ModelTensor>? Tensors { get; init; }

    /// <summary>The shape of one sample used for the dry forward pass (without the batch dimension).</summary>
    public IReadOnlyList<long>? InputShape { get; init; }

    /// <summary>The output shape of the dry forward pass on a batch of one (batch dimension first); null when no input shape was known.</summary>
    public IReadOnlyList<long>? OutputShape { get; init; }

    /// <summary>
    /// The stages of an early-exit chain (<see cref="Chains.EarlyExitChain"/>), in order, with each exit's output shape
    /// and the shape each stage hands upward when an input shape was known; null for a plain model.
    /// </summary>
    public IReadOnlyList<Chains.ChainStageCheck>? Stages { get; init; }

    /// <summary>An early-exit chain's exit weights in the joint training loss (exit 1 first, summing to 1); null for a plain model.</summary>
    public IReadOnlyList<double>? ExitWeights { get; init; }

    /// <summary>The loss the script fixed (<see cref="ModelDefinition.Loss"/>), as a wire name.</summary>
    public string? Loss { get; init; }

    /// <summary>The optimizer the script fixed, as a wire name.</summary>
    public string? Optimizer { get; init; }

    public double? LearningRate { get; init; }

    public IReadOnlyList<string>? Metrics { get; init; }

    /// <summary>The child's exit code (parent side only).</summary>
    public int? ExitCode { get; init; }

    /// <summary>Wall-clock seconds the check took, process start included (parent side only).</summary>
    public double? ElapsedSeconds { get; init; }

    /// <summary>The end of the child's standard error, when it failed (parent side only).</summary>
    public string? StandardError { get; init; }

    /// <summary>A failed report.</summary>
    public static ModelCheckReport Failed(ModelCheckFailure failure, string error, IReadOnlyList<ScriptDiagnostic>? diagnostics = null) =>
        new() { Ok = false, Failure = failure, Error = error, Diagnostics = diagnostics };

    /// <summary>The report as one line of JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>Parses a line printed by the verb; null when it is not a report.</summary>
    public static ModelCheckReport? TryParse(string line)
    {
        try
        {
            return JsonSerializer.Deserialize<ModelCheckReport>(line, JsonOptions);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
