namespace KafkaMl.Core.Jobs;

/// <summary>
/// The executable's verbs that the orchestrators start as jobs, named once for the runners and for the command line.
/// </summary>
public static class JobVerbs
{
    /// <summary>The training job of one result: <c>train --result ID</c>.</summary>
    public const string Train = "train";

    /// <summary>One inference replica: <c>infer --inference ID</c>.</summary>
    public const string Infer = "infer";

    /// <summary>A site of federated learning, started by the site's operator: <c>federated-agent --site NAME ...</c>.</summary>
    public const string FederatedAgent = "federated-agent";

    /// <summary>The sandboxed model check the portal runs on a script: <c>model-check</c>.</summary>
    public const string ModelCheck = "model-check";
}
