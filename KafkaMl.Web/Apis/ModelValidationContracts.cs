using System.Text.Json;
using KafkaMl.Core.Scripting;

namespace KafkaMl.Web.Apis;

/// <summary>
/// Body of <c>POST /api/models/validate</c>. <c>inputShape</c> is one sample's shape, as an array (<c>[3]</c>) or
/// as Kafka-ML writes reshapes (<c>"1 28 28"</c>); without it the model is built but not run.
/// </summary>
public sealed record ModelValidationRequest(string? Code, JsonElement? InputShape = null);

/// <summary>
/// What validating a script found: <c>ok</c>, the diagnostics with their positions, and — when the module could be
/// built — its parameter count and layers, and the output shape of a dry forward pass when the input shape is known.
/// </summary>
public sealed record ModelValidationResponse(
    bool Ok,
    IReadOnlyList<ScriptDiagnostic> Diagnostics,
    string? Failure,
    string? Error,
    long? Parameters,
    IReadOnlyList<ModelLayer>? Layers,
    IReadOnlyList<long>? InputShape,
    IReadOnlyList<long>? OutputShape);
