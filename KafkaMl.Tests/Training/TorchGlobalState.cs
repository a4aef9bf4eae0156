namespace KafkaMl.Tests.Training;

/// <summary>
/// Specs that seed TorchSharp's global generator (initial weights, dropout) or set its thread count run
/// one after another, so one spec's seeding never lands between another's seed and its draws.
/// </summary>
[CollectionDefinition(Name)]
public sealed class TorchGlobalState
{
    public const string Name = "TorchSharp global state";
}
