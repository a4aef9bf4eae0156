using k8s;
using k8s.Models;
using KafkaMl.Core.Orchestration.Kubernetes;

namespace KafkaMl.Tests.Orchestration.Kubernetes;

/// <summary>The Kubernetes runner against a stand-in API server that records and checks what it receives:
/// the fixture of these specs, with the specs and pods they use.
/// </summary>
public abstract class KubernetesJobRunnerSpecsBase : IAsyncLifetime
{
    protected const string Namespace = "kafkaml-test";
    protected const string Image = "registry.example.com/kafkaml:1.2.3";
    protected const string Token = "tok-5f1e0c9a-secret";
    protected const string JobsPath = "/apis/batch/v1/namespaces/" + Namespace + "/jobs";
    protected const string DeploymentsPath = "/apis/apps/v1/namespaces/" + Namespace + "/deployments";
    protected const string SecretsPath = "/api/v1/namespaces/" + Namespace + "/secrets";
    protected const string PodsPath = "/api/v1/namespaces/" + Namespace + "/pods";

    protected KubernetesApiStandIn _api = null!;
    protected KubernetesJobRunner _runner = null!;

    public async Task InitializeAsync()
    {
        _api = await KubernetesApiStandIn.StartAsync();
        _runner = new KubernetesJobRunner(Options.Create(new KubernetesJobRunnerOptions
        {
            Host = _api.Url,
            Namespace = Namespace,
            Image = Image,
            ImagePullPolicy = "Always",
            ServiceAccountName = "kafkaml-jobs",
            TtlSecondsAfterFinished = 600,
        }));
    }

    public async Task DisposeAsync()
    {
        _runner.Dispose();
        await _api.DisposeAsync();
    }

    protected RecordedRequest Single(string method, string path) =>
        Assert.Single(_api.Requests, r => r.Method == method && r.Path == path);

    protected void PutPod(string name, string job, string statusJson) =>
        _api.Put($"{PodsPath}/{name}", new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Pod",
            ["metadata"] = new JsonObject { ["name"] = name, ["labels"] = new JsonObject { ["kafkaml.io/job"] = job } },
            ["spec"] = new JsonObject { ["containers"] = new JsonArray(new JsonObject { ["name"] = "kafkaml", ["image"] = Image }) },
            ["status"] = JsonNode.Parse(statusJson),
        });

    protected static JobSpec ATrainingSpec(string name) => new(
        name,
        JobKind.Training,
        ["train", "--result", name.Split('-')[^1]],
        new Dictionary<string, string>
        {
            [JobEnvironment.PortalUrlVariable] = "http://kafkaml-portal:80",
            [JobEnvironment.BootstrapServersVariable] = "kafka:9092",
            [JobEnvironment.TokenVariable] = Token,
        });

    protected static JobSpec AnInferenceSpec(string name, int replicas) => new(
        name,
        JobKind.Inference,
        ["infer", "--inference", name.Split('-')[^1]],
        new Dictionary<string, string>
        {
            [JobEnvironment.PortalUrlVariable] = "http://kafkaml-portal:80",
            [JobEnvironment.BootstrapServersVariable] = "kafka:9092",
            [JobEnvironment.TokenVariable] = Token,
        },
        Replicas: replicas);
}
