using k8s.Models;
using KafkaMl.Tests.Orchestration.Kubernetes;

namespace KafkaMl.Tests.Federated;

public sealed class AgentManifestSpecs
{
    private static readonly string Yaml = File.ReadAllText(Path.Combine(KafkaMlProcess.RepoRoot, "k8s", "federated-agent.yaml"));

    [Fact]
    public void The_agent_manifest_is_one_valid_Deployment_running_the_federated_agent_verb_with_its_three_options()
    {
        var objects = KubernetesObjectChecks.LoadStrict(Yaml);

        var deployment = Assert.IsType<V1Deployment>(Assert.Single(objects));
        Assert.Empty(KubernetesObjectChecks.Problems(deployment));
        var args = Assert.Single(deployment.Spec.Template.Spec.Containers).Args;
        Assert.Equal("federated-agent", args[0]);
        var options = KafkaMl.Web.Cli.CliOptions.Parse([.. args.Skip(1)], ["--cloud-bootstrap-servers", "--data-bootstrap-servers", "--site"], []);
        var request = KafkaMl.Web.Cli.FederatedAgentVerb.Request(options);
        Assert.Equal(("site-a", "kafka.site.svc.cluster.local:9092"), (request.Site, request.DataBootstrapServers));
    }
}
