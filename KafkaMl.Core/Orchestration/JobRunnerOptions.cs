namespace KafkaMl.Core.Orchestration;

/// <summary>
/// What every runner's options share: which environment variables hold secrets. The Kubernetes runner puts their
/// values into the job's Secret instead of its pod spec; the local runner does not pass the portal's own secret
/// variables on to its children (only those the <see cref="JobSpec"/> sets itself reach them).
/// </summary>
public abstract class JobRunnerOptions
{
    private static readonly string[] SecretNameFragments = ["TOKEN", "PASSWORD", "PASSWD", "SECRET", "CREDENTIAL", "APIKEY", "API_KEY"];

    /// <summary>
    /// More environment variables to treat as secret. Always secret: <see cref="JobEnvironment.SecretVariables"/> and names containing
    /// TOKEN, PASSWORD, PASSWD, SECRET, CREDENTIAL, APIKEY or API_KEY (any case).
    /// </summary>
    public List<string> SecretVariables { get; set; } = [];

    /// <summary>Whether the value of environment variable <paramref name="name"/> is a secret.</summary>
    public bool IsSecretVariable(string name) =>
        JobEnvironment.SecretVariables.Contains(name, StringComparer.Ordinal)
        || SecretVariables.Contains(name, StringComparer.Ordinal)
        || SecretNameFragments.Any(fragment => name.Contains(fragment, StringComparison.OrdinalIgnoreCase));
}
