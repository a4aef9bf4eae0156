using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace KafkaMl.Core.Domain;

/// <summary>How the sites' updates become the next global model.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<Aggregation>))]
public enum Aggregation
{
    /// <summary>The sample-count-weighted mean of the sites' weights.</summary>
    [JsonStringEnumMemberName("fedavg")] FedAvg,

    /// <summary>FedAvg on the server; each site adds the proximal term <c>mu/2·‖w − w_global‖²</c> to its loss.</summary>
    [JsonStringEnumMemberName("fedprox")] FedProx,

    /// <summary>The weighted mean update applied by an Adam optimizer on the server (Reddi et al., 2021).</summary>
    [JsonStringEnumMemberName("fedadam")] FedAdam,
}

/// <summary>
/// A federated deployment (issue 19): no data in the cloud; sites whose dataset matches train locally each round and
/// send their weights, which the coordinator aggregates.
/// </summary>
/// <param name="Rounds">Federated rounds (at least 1).</param>
/// <param name="MinSites">The quorum: a round closes once this many sites answered (or at the timeout).</param>
/// <param name="RoundTimeoutS">Seconds a round waits for the quorum before it closes with the updates it has.</param>
/// <param name="MinData">The samples a site's dataset needs to take part (an incremental dataset has no size check).</param>
/// <param name="DataRestriction">A JSON object the site's <c>dataset_restrictions</c> must equal (compact JSON text).</param>
/// <param name="Aggregation">The server's strategy.</param>
/// <param name="Mu">FedProx's proximal weight (fedprox only).</param>
/// <param name="ServerLearningRate">FedAdam's server learning rate (fedadam only).</param>
/// <param name="ClipNorm">When set, each site clips its update (local − global weights) to this L2 norm.</param>
/// <param name="NoiseMultiplier">When set (with <paramref name="ClipNorm"/>), Gaussian noise of deviation noiseMultiplier·clipNorm is added to each clipped update.</param>
public sealed record FederatedSettings(
    int Rounds = FederatedSettings.DefaultRounds,
    int MinSites = FederatedSettings.DefaultMinSites,
    int RoundTimeoutS = FederatedSettings.DefaultRoundTimeoutS,
    long MinData = FederatedSettings.DefaultMinData,
    string DataRestriction = "{}",
    Aggregation Aggregation = Aggregation.FedAvg,
    double? Mu = null,
    double? ServerLearningRate = null,
    double? ClipNorm = null,
    double? NoiseMultiplier = null)
{
    public const int DefaultRounds = 15;
    public const int DefaultMinSites = 2;
    public const int DefaultRoundTimeoutS = 600;
    public const long DefaultMinData = 1000;
    public const double DefaultMu = 0.01;
    public const double DefaultServerLearningRate = 0.01;

    /// <summary>The restriction as a JSON object.</summary>
    public JsonObject Restriction() => ParseRestriction(DataRestriction) ?? [];

    /// <summary>Every problem with the settings, by API field name (empty when usable).</summary>
    public IReadOnlyList<(string Field, string Problem)> Problems()
    {
        var problems = new List<(string, string)>();
        if (Rounds < 1) problems.Add(("rounds", $"rounds must be at least 1 (it was {Rounds})."));
        if (MinSites < 1) problems.Add(("minSites", $"minSites must be at least 1 (it was {MinSites})."));
        if (RoundTimeoutS < 1) problems.Add(("roundTimeoutS", $"roundTimeoutS must be at least 1 second (it was {RoundTimeoutS})."));
        if (MinData < 0) problems.Add(("minData", $"minData must be 0 or more (it was {MinData})."));
        if (RestrictionProblem(DataRestriction) is { } restriction) problems.Add(("dataRestriction", restriction));
        if (Mu is { } mu && !(double.IsFinite(mu) && mu >= 0)) problems.Add(("mu", FormattableString.Invariant($"mu must be 0 or more (it was {mu}).")));
        if (ServerLearningRate is { } lr && !(double.IsFinite(lr) && lr > 0))
            problems.Add(("serverLearningRate", FormattableString.Invariant($"serverLearningRate must be a positive number (it was {lr}).")));
        if (ClipNorm is { } clip && !(double.IsFinite(clip) && clip > 0))
            problems.Add(("clipNorm", FormattableString.Invariant($"clipNorm must be a positive number (it was {clip}).")));
        if (NoiseMultiplier is { } noise)
        {
            if (!(double.IsFinite(noise) && noise >= 0))
                problems.Add(("noiseMultiplier", FormattableString.Invariant($"noiseMultiplier must be 0 or more (it was {noise}).")));
            else if (ClipNorm is null)
                problems.Add(("noiseMultiplier", "noiseMultiplier needs clipNorm: the noise's deviation is noiseMultiplier × clipNorm."));
        }
        return problems;
    }

    /// <summary>What is wrong with a <c>dataRestriction</c> text, or null when it is a JSON object.</summary>
    public static string? RestrictionProblem(string? text)
    {
        try
        {
            return ParseRestriction(text) is null
                ? $"dataRestriction must be a JSON object such as {{\"source\": \"hospital\"}}; got {Describe(text)}."
                : null;
        }
        catch (JsonException e)
        {
            return $"dataRestriction is not valid JSON: {e.Message}";
        }
    }

    /// <summary>The JSON object a restriction text holds (compact), or null when it holds something else.</summary>
    /// <exception cref="JsonException">The text is not JSON.</exception>
    public static JsonObject? ParseRestriction(string? text) =>
        string.IsNullOrWhiteSpace(text) ? null : JsonNode.Parse(text) as JsonObject;

    private static string Describe(string? text) => string.IsNullOrWhiteSpace(text) ? "nothing" : $"'{(text.Length > 40 ? text[..40] + "…" : text)}'";
}
