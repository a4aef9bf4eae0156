using System.Text.Json;
using System.Text.Json.Nodes;
using KafkaMl.Web.Apis;

namespace KafkaMl.Web.Services;

internal static partial class DeploymentRules
{
    /// <summary>
    /// The federated group: checked (and defaulted) only for <c>federated: true</c>, refused field by field otherwise. A
    /// federated deployment trains bounded and supervised on the sites' data, so it cannot also be incremental or
    /// semi-supervised; <c>mu</c> belongs to fedprox and <c>serverLearningRate</c> to fedadam.
    /// </summary>
    private static void ValidateFederated(DeploymentRequest request, Deployment deployment, ValidationErrors errors)
    {
        if (request.Federated != true)
        {
            (string Field, bool Given)[] group =
            [
                ("rounds", request.Rounds is not null), ("minSites", request.MinSites is not null),
                ("roundTimeoutS", request.RoundTimeoutS is not null), ("minData", request.MinData is not null),
                ("dataRestriction", request.DataRestriction is not null), ("aggregation", request.Aggregation is not null),
                ("mu", request.Mu is not null), ("serverLearningRate", request.ServerLearningRate is not null),
                ("clipNorm", request.ClipNorm is not null), ("noiseMultiplier", request.NoiseMultiplier is not null),
            ];
            foreach (var (field, _) in group.Where(f => f.Given))
                errors.Add(field, $"'{field}' applies to federated deployments only: set federated to true, or leave it out.");
            return;
        }
        if (request.Incremental == true) errors.Add("federated", "A federated deployment trains in rounds on the sites' data; it cannot also be incremental.");
        if (request.SemiSupervised == true) errors.Add("federated", "A federated deployment trains on the sites' labelled data; it cannot also be semi-supervised.");

        var aggregation = Aggregation.FedAvg;
        if (request.Aggregation is { } name && !EnumNames.TryParse(name, out aggregation))
            errors.Add("aggregation", $"'{name}' is not an aggregation; use one of {string.Join(", ", EnumNames.Names<Aggregation>())}.");
        if (request.Mu is not null && aggregation != Aggregation.FedProx)
            errors.Add("mu", "mu is FedProx's proximal weight: it applies with aggregation fedprox only.");
        if (request.ServerLearningRate is not null && aggregation != Aggregation.FedAdam)
            errors.Add("serverLearningRate", "serverLearningRate is FedAdam's: it applies with aggregation fedadam only.");

        var settings = new FederatedSettings(
            request.Rounds ?? FederatedSettings.DefaultRounds,
            request.MinSites ?? FederatedSettings.DefaultMinSites,
            request.RoundTimeoutS ?? FederatedSettings.DefaultRoundTimeoutS,
            request.MinData ?? FederatedSettings.DefaultMinData,
            Restriction(request.DataRestriction, errors),
            aggregation,
            aggregation == Aggregation.FedProx ? request.Mu ?? FederatedSettings.DefaultMu : null,
            aggregation == Aggregation.FedAdam ? request.ServerLearningRate ?? FederatedSettings.DefaultServerLearningRate : null,
            request.ClipNorm,
            request.NoiseMultiplier);
        foreach (var (field, problem) in settings.Problems()) errors.Add(field, problem);
        deployment.Federated = settings;
    }

    /// <summary>The restriction as compact JSON text; anything but a JSON object is refused.</summary>
    private static string Restriction(JsonNode? node, ValidationErrors errors)
    {
        switch (node)
        {
            case null:
                return "{}";
            case JsonObject restriction:
                return restriction.ToJsonString();
            default:
                var kind = node.GetValueKind() switch
                {
                    JsonValueKind.String => $"the string \"{Shorten(node.GetValue<string>())}\"",
                    JsonValueKind.Array => "an array",
                    var other => $"a {other.ToString().ToLowerInvariant()}",
                };
                errors.Add("dataRestriction", $"dataRestriction must be a JSON object such as {{\"source\": \"clinic\"}} (sites must send equal dataset_restrictions); got {kind}.");
                return "{}";
        }
    }

    private static string Shorten(string text) => text.Length > 40 ? text[..40] + "…" : text;
}
