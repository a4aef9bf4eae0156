using System.Net;
using System.Text;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace KafkaMl.Core.Orchestration.Kubernetes;

/// <summary>
/// Runs training jobs as <c>batch/v1</c> Jobs and inference services as <c>apps/v1</c> Deployments of the KafkaMl
/// image (see <see cref="KubernetesWorkloads"/> for the objects), through KubernetesClient.
/// </summary>
/// <remarks>
/// <para>Secret environment values (the job token, credentials) go into a per-job <c>v1</c> Secret
/// (<c>&lt;name&gt;-env</c>) that the pod reads through <c>secretKeyRef</c>; the Secret is owned by its Job or
/// Deployment, so Kubernetes deletes it with them — on stop, and when a finished Job's TTL expires.</para>
/// <para>Every call is idempotent: creating what exists (409) and deleting what is gone (404) are not errors.</para>
/// </remarks>
public sealed class KubernetesJobRunner : IJobRunner, IDisposable
{
    private const string Background = "Background";

    private readonly KubernetesJobRunnerOptions _options;
    private readonly ILogger<KubernetesJobRunner> _logger;
    private readonly Lazy<(IKubernetes Client, string Namespace)> _api;

    public KubernetesJobRunner(IOptions<KubernetesJobRunnerOptions> options, ILogger<KubernetesJobRunner>? logger = null)
    {
        _options = options.Value;
        _logger = logger ?? NullLogger<KubernetesJobRunner>.Instance;
        _api = new Lazy<(IKubernetes, string)>(Connect, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    public string Kind => "kubernetes";

    /// <summary>The namespace workloads are created in.</summary>
    public string Namespace => _api.Value.Namespace;

    private IKubernetes Client => _api.Value.Client;

    public async Task StartAsync(JobSpec spec, CancellationToken cancellationToken)
    {
        Validate(spec);
        var ns = Namespace;

        var secret = KubernetesWorkloads.Secret(spec, ns, _options);
        if (secret is not null) await CreateOrUpdateSecretAsync(secret, ns, cancellationToken);

        var owner = spec.Kind == JobKind.Training
            ? (await CreateJobAsync(spec, ns, cancellationToken)).Metadata
            : (await CreateDeploymentAsync(spec, ns, cancellationToken)).Metadata;

        if (secret is not null)
        {
            var patch = new { metadata = new { ownerReferences = new[] { KubernetesWorkloads.OwnerReference(spec.Kind, owner) } } };
            await Call("patch the owner of", "Secret", secret.Metadata.Name, () =>
                Client.CoreV1.PatchNamespacedSecretAsync(new V1Patch(patch, V1Patch.PatchType.MergePatch), secret.Metadata.Name, ns, cancellationToken: cancellationToken));
        }
    }

    public async Task StopAsync(string name, CancellationToken cancellationToken)
    {
        if (KubernetesNames.JobNameProblem(name) is not null) return;
        var ns = Namespace;
        var options = new V1DeleteOptions { PropagationPolicy = Background };
        var job = await DeleteAsync("Job", name, () =>
            Client.BatchV1.DeleteNamespacedJobAsync(name, ns, options, propagationPolicy: Background, cancellationToken: cancellationToken));
        var deployment = await DeleteAsync("Deployment", name, () =>
            Client.AppsV1.DeleteNamespacedDeploymentAsync(name, ns, options, propagationPolicy: Background, cancellationToken: cancellationToken));
        await DeleteAsync("Secret", KubernetesWorkloads.SecretName(name), () =>
            Client.CoreV1.DeleteNamespacedSecretAsync(KubernetesWorkloads.SecretName(name), ns, options, propagationPolicy: Background, cancellationToken: cancellationToken));
        if (job || deployment) _logger.LogInformation("Deleted {Kind} {Namespace}/{Name}", job ? "Job" : "Deployment", ns, name);
    }

    public async Task ScaleAsync(string name, int replicas, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(replicas);
        KubernetesNames.EnsureJobName(name);
        var ns = Namespace;
        var patch = new V1Patch(new { spec = new { replicas } }, V1Patch.PatchType.MergePatch);
        try
        {
            await Client.AppsV1.PatchNamespacedDeploymentScaleAsync(patch, name, ns, cancellationToken: cancellationToken);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            throw new InvalidOperationException($"There is no inference Deployment {ns}/{name} to scale.", e);
        }
        catch (HttpOperationException e)
        {
            throw Failure("scale", "Deployment", name, e);
        }
        _logger.LogInformation("Scaled Deployment {Namespace}/{Name} to {Replicas} replica(s)", ns, name, replicas);
    }

    public async Task<JobState> GetStateAsync(string name, CancellationToken cancellationToken)
    {
        if (KubernetesNames.JobNameProblem(name) is not null) return new JobState(JobPhase.Unknown);
        var ns = Namespace;
        var job = await ReadAsync("Job", name, () => Client.BatchV1.ReadNamespacedJobAsync(name, ns, cancellationToken: cancellationToken));
        if (job is not null)
        {
            var pods = KubernetesJobStates.NeedsPods(job) ? await PodsAsync(name, ns, cancellationToken) : [];
            return KubernetesJobStates.FromJob(job, pods);
        }
        var deployment = await ReadAsync("Deployment", name, () => Client.AppsV1.ReadNamespacedDeploymentAsync(name, ns, cancellationToken: cancellationToken));
        if (deployment is not null)
        {
            var pods = KubernetesJobStates.NeedsPods(deployment) ? await PodsAsync(name, ns, cancellationToken) : [];
            return KubernetesJobStates.FromDeployment(deployment, pods);
        }
        return new JobState(JobPhase.Unknown);
    }

    public async Task<string?> GetLogAsync(string name, int tailLines, CancellationToken cancellationToken)
    {
        if (tailLines <= 0 || KubernetesNames.JobNameProblem(name) is not null) return null;
        var ns = Namespace;
        var pods = await PodsAsync(name, ns, cancellationToken);
        var all = new List<string>();
        foreach (var pod in pods)
        {
            string text;
            try
            {
                await using var stream = await Client.CoreV1.ReadNamespacedPodLogAsync(pod.Metadata.Name, ns,
                    container: KubernetesWorkloads.ContainerName, tailLines: tailLines, cancellationToken: cancellationToken);
                using var reader = new StreamReader(stream, Encoding.UTF8);
                text = await reader.ReadToEndAsync(cancellationToken);
            }
            catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.BadRequest)
            {
                continue; // gone, or its container has not started yet
            }
            var lines = text.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
            if (lines.Count > 0 && lines[^1].Length == 0) lines.RemoveAt(lines.Count - 1);
            all.AddRange(pods.Count == 1 ? lines : lines.Select(l => $"[{pod.Metadata.Name}] {l}"));
        }
        if (all.Count == 0) return null;
        var tail = new StringBuilder();
        foreach (var line in all.Skip(Math.Max(0, all.Count - tailLines))) tail.Append(line).Append('\n');
        return tail.ToString();
    }

    public void Dispose()
    {
        if (_api.IsValueCreated) _api.Value.Client.Dispose();
    }

    private (IKubernetes, string) Connect()
    {
        KubernetesClientConfiguration config;
        if (!string.IsNullOrWhiteSpace(_options.Host))
        {
            config = new KubernetesClientConfiguration
            {
                Host = _options.Host,
                AccessToken = string.IsNullOrEmpty(_options.AccessToken) ? null : _options.AccessToken,
                SkipTlsVerify = _options.SkipTlsVerify,
            };
        }
        else if (string.IsNullOrWhiteSpace(_options.KubeConfigPath) && KubernetesClientConfiguration.IsInCluster())
        {
            config = KubernetesClientConfiguration.InClusterConfig();
        }
        else
        {
            config = KubernetesClientConfiguration.BuildConfigFromConfigFile(
                string.IsNullOrWhiteSpace(_options.KubeConfigPath) ? null : _options.KubeConfigPath,
                string.IsNullOrWhiteSpace(_options.Context) ? null : _options.Context);
        }
        var ns = !string.IsNullOrWhiteSpace(_options.Namespace) ? _options.Namespace
            : !string.IsNullOrWhiteSpace(config.Namespace) ? config.Namespace
            : KubernetesJobRunnerOptions.DefaultNamespace;
        _logger.LogInformation("Kubernetes runner: API server {Host}, namespace {Namespace}, image {Image}", config.Host, ns, _options.Image);
        return (new k8s.Kubernetes(config), ns);
    }

    private static void Validate(JobSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        spec.EnsureValid();
        foreach (var (key, value) in spec.Labels ?? new Dictionary<string, string>())
        {
            if (KubernetesNames.LabelProblem(key, value) is { } problem) throw new ArgumentException($"Job {spec.Name}: {problem}", nameof(spec));
        }
        foreach (var variable in spec.Environment.Keys)
        {
            // A C identifier, which is also a valid Secret key.
            if (variable.Length == 0 || char.IsAsciiDigit(variable[0]) || !variable.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-'))
                throw new ArgumentException($"Job {spec.Name} has an invalid environment variable name '{variable}'.", nameof(spec));
        }
        if (spec.Resources is { } resources)
        {
            foreach (var quantity in new[] { resources.CpuRequest, resources.CpuLimit, resources.MemoryRequest, resources.MemoryLimit })
            {
                if (KubernetesJobRunnerOptionsValidator.QuantityProblem(quantity) is { } problem)
                    throw new ArgumentException($"Job {spec.Name}: {problem}", nameof(spec));
            }
        }
    }

    private async Task CreateOrUpdateSecretAsync(V1Secret secret, string ns, CancellationToken cancellationToken)
    {
        try
        {
            await Client.CoreV1.CreateNamespacedSecretAsync(secret, ns, cancellationToken: cancellationToken);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            // Left by an earlier attempt: make its values the current ones.
            var patch = new V1Patch(new { data = secret.Data }, V1Patch.PatchType.MergePatch);
            await Call("update", "Secret", secret.Metadata.Name, () =>
                Client.CoreV1.PatchNamespacedSecretAsync(patch, secret.Metadata.Name, ns, cancellationToken: cancellationToken));
        }
        catch (HttpOperationException e)
        {
            throw Failure("create", "Secret", secret.Metadata.Name, e);
        }
    }

    private Task<V1Job> CreateJobAsync(JobSpec spec, string ns, CancellationToken cancellationToken) =>
        CreateOrReadAsync("Job", spec, ns,
            () => Client.BatchV1.CreateNamespacedJobAsync(KubernetesWorkloads.Job(spec, ns, _options), ns, cancellationToken: cancellationToken),
            () => Client.BatchV1.ReadNamespacedJobAsync(spec.Name, ns, cancellationToken: cancellationToken));

    private Task<V1Deployment> CreateDeploymentAsync(JobSpec spec, string ns, CancellationToken cancellationToken) =>
        CreateOrReadAsync("Deployment", spec, ns,
            () => Client.AppsV1.CreateNamespacedDeploymentAsync(KubernetesWorkloads.Deployment(spec, ns, _options), ns, cancellationToken: cancellationToken),
            () => Client.AppsV1.ReadNamespacedDeploymentAsync(spec.Name, ns, cancellationToken: cancellationToken));

    /// <summary>Creates the workload's object; one that already exists (a retried start) is read instead, so starting is idempotent.</summary>
    private async Task<T> CreateOrReadAsync<T>(string kind, JobSpec spec, string ns, Func<Task<T>> create, Func<Task<T>> read)
    {
        try
        {
            var created = await create();
            _logger.LogInformation("Created {Kind} {Namespace}/{Name} ({Verb}, {Replicas} replica(s))", kind, ns, spec.Name, spec.Arguments[0], spec.Replicas);
            return created;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            _logger.LogDebug("{Kind} {Namespace}/{Name} already exists; nothing to start", kind, ns, spec.Name);
            return await Call("read", kind, spec.Name, read);
        }
        catch (HttpOperationException e)
        {
            throw Failure("create", kind, spec.Name, e);
        }
    }

    private async Task<IReadOnlyList<V1Pod>> PodsAsync(string name, string ns, CancellationToken cancellationToken)
    {
        var pods = await Call("list the pods of", "workload", name, () =>
            Client.CoreV1.ListNamespacedPodAsync(ns, labelSelector: KubernetesWorkloads.PodSelector(name), cancellationToken: cancellationToken));
        return (pods.Items ?? []).OrderBy(p => p.Metadata?.CreationTimestamp ?? DateTime.MinValue).ThenBy(p => p.Metadata?.Name, StringComparer.Ordinal).ToList();
    }

    /// <summary>Deletes an object; false when it did not exist.</summary>
    private async Task<bool> DeleteAsync<T>(string kind, string name, Func<Task<T>> delete)
    {
        try
        {
            await delete();
            return true;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
        catch (HttpOperationException e)
        {
            throw Failure("delete", kind, name, e);
        }
    }

    /// <summary>Reads an object; null when it does not exist.</summary>
    private async Task<T?> ReadAsync<T>(string kind, string name, Func<Task<T>> read)
        where T : class
    {
        try
        {
            return await read();
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        catch (HttpOperationException e)
        {
            throw Failure("read", kind, name, e);
        }
    }

    private async Task<T> Call<T>(string action, string kind, string name, Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (HttpOperationException e)
        {
            throw Failure(action, kind, name, e);
        }
    }

    /// <summary>The API server's refusal as a readable error: what was attempted, the status and the server's message.</summary>
    private InvalidOperationException Failure(string action, string kind, string name, HttpOperationException e)
    {
        var status = (int)e.Response.StatusCode;
        string? message = null;
        try
        {
            message = KubernetesJson.Deserialize<V1Status>(e.Response.Content)?.Message;
        }
        catch (Exception parse) when (parse is System.Text.Json.JsonException or ArgumentException or NotSupportedException)
        {
            // Not a Status object.
        }
        var ns = _api.IsValueCreated ? _api.Value.Namespace : "?";
        var text = $"Kubernetes refused to {action} {kind} {ns}/{name}: {status} {e.Response.ReasonPhrase}{(message is null ? "" : $" — {message}")}";
        _logger.LogWarning("{Failure}", text);
        return new InvalidOperationException(text, e);
    }
}
