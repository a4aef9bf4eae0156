using KafkaMl.Core.Orchestration.Kubernetes;
using KafkaMl.Core;
using KafkaMl.Tests.Orchestration.Kubernetes;
using Microsoft.Extensions.Configuration;
using k8s.Models;
using k8s;

// Folder Deployment/, namespace Production: a namespace named Deployment would hide the domain type.
namespace KafkaMl.Tests.Packaging;

/// <summary>
/// <c>k8s/</c> renders offline, every object fits the Kubernetes schema, and the objects fit each other and KafkaMl: the
/// RBAC the runner needs, settings KafkaMl binds, addresses that lead where they should, Kafka's KRaft settings, non-root
/// pods and network policies that let exactly the intended traffic through.
/// </summary>
public sealed class KubernetesManifestSpecs(RenderedManifests k8s) : IClassFixture<RenderedManifests>
{
    private const string Namespace = "kafkaml";
    private const string Portal = "kafkaml-portal";
    private const string Config = "kafkaml-config";
    private const string Kafka = "kafka";

    private V1Deployment PortalDeployment => k8s.Get<V1Deployment>(Portal);

    private V1Container PortalContainer => Assert.Single(PortalDeployment.Spec.Template.Spec.Containers);

    private V1StatefulSet KafkaSet => k8s.Get<V1StatefulSet>(Kafka);

    private V1Container KafkaContainer => Assert.Single(KafkaSet.Spec.Template.Spec.Containers);

    private IDictionary<string, string> Settings => k8s.Get<V1ConfigMap>(Config).Data;

    private string Setting(string key) => Settings[key.Replace(":", "__", StringComparison.Ordinal)];

    [Fact]
    public void Every_rendered_object_fits_its_Kubernetes_schema_and_lives_in_the_kafkaml_namespace()
    {
        Assert.Equal(
            ["ConfigMap", "Deployment", "Namespace", "NetworkPolicy", "PersistentVolumeClaim", "Role", "RoleBinding", "Secret", "Service", "ServiceAccount", "StatefulSet"],
            k8s.Objects.Select(o => o.Kind).Distinct().Order(StringComparer.Ordinal));
        Assert.All(k8s.Objects, o => Assert.True(KubernetesObjectChecks.Problems(o).Count == 0,
            $"{o.Kind}: {string.Join("; ", KubernetesObjectChecks.Problems(o))}"));
        Assert.All(k8s.Objects.OfType<IKubernetesObject<V1ObjectMeta>>().Where(o => o is not V1Namespace),
            o => Assert.Equal(Namespace, o.Metadata.NamespaceProperty));
        Assert.Equal(Namespace, Assert.Single(k8s.All<V1Namespace>()).Metadata.Name);
    }

    [Fact]
    public void The_schema_check_refuses_a_field_Kubernetes_does_not_know()
    {
        var misspelt = k8s.Yaml.Replace("replicas: 1", "replica: 1", StringComparison.Ordinal);

        var error = Assert.ThrowsAny<Exception>(() => KubernetesObjectChecks.LoadStrict(misspelt));

        Assert.Contains("replica", error.Message + error.InnerException?.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_schema_check_reports_a_missing_required_field()
    {
        var role = k8s.Get<V1Role>("kafkaml-runner");
        var broken = new V1Role { ApiVersion = role.ApiVersion, Kind = role.Kind, Metadata = role.Metadata, Rules = [new V1PolicyRule { ApiGroups = ["batch"], Resources = ["jobs"] }] };

        Assert.Contains("rules[].verbs: Required value", KubernetesObjectChecks.Problems(broken));
    }

    [Fact]
    public void The_portals_Role_grants_exactly_the_rules_the_Kubernetes_runner_needs()
    {
        var role = k8s.Get<V1Role>("kafkaml-runner");

        var granted = role.Rules.SelectMany(r => r.ApiGroups.SelectMany(g => r.Resources.SelectMany(res => r.Verbs.Select(v => $"{g}/{res}:{v}"))));
        var needed = KubernetesPermission.RequiredByRunner.SelectMany(p => p.Verbs.Select(v => $"{p.ApiGroup}/{p.Resource}:{v}"));
        Assert.Equal(needed.Order(StringComparer.Ordinal), granted.Order(StringComparer.Ordinal));
        Assert.All(role.Rules, r => Assert.Null(r.ResourceNames));
    }

    [Fact]
    public void The_Role_is_bound_to_the_service_account_the_portal_runs_as()
    {
        var binding = k8s.Get<V1RoleBinding>("kafkaml-runner");

        Assert.Equal(("rbac.authorization.k8s.io", "Role", "kafkaml-runner"), (binding.RoleRef.ApiGroup, binding.RoleRef.Kind, binding.RoleRef.Name));
        var subject = Assert.Single(binding.Subjects);
        Assert.Equal(("ServiceAccount", PortalDeployment.Spec.Template.Spec.ServiceAccountName, Namespace), (subject.Kind, subject.Name, subject.NamespaceProperty));
        Assert.NotNull(k8s.Get<V1ServiceAccount>(subject.Name));
        Assert.NotEqual(false, PortalDeployment.Spec.Template.Spec.AutomountServiceAccountToken); // the runner's in-cluster credentials
    }

    [Fact]
    public void Every_key_of_the_portals_ConfigMap_is_a_KafkaMl_setting_and_the_whole_passes_KafkaMls_validation()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(Settings.Select(s => KeyValuePair.Create(s.Key.Replace("__", ":", StringComparison.Ordinal), (string?)s.Value)))
            .Build();

        Assert.All(Settings, s => Assert.True(PortalSettings.IsSetting(s.Key.Replace("__", ":", StringComparison.Ordinal), s.Value), $"{s.Key} is not a KafkaMl setting"));
        var kafkaMl = configuration.GetSection(KafkaMlOptions.Section).Get<KafkaMlOptions>()!;
        Assert.True(new KafkaMlOptionsValidator().Validate(null, kafkaMl).Succeeded);
        var kubernetes = configuration.GetSection(KubernetesJobRunnerOptions.Section).Get<KubernetesJobRunnerOptions>()!;
        var validation = new KubernetesJobRunnerOptionsValidator().Validate(null, kubernetes);
        Assert.True(validation.Succeeded, validation.FailureMessage);
        Assert.Equal("kubernetes", kafkaMl.Runner);
    }

    [Fact]
    public void The_setting_check_refuses_a_misspelt_key()
    {
        Assert.False(PortalSettings.IsSetting("KafkaMl:Kafka:BootstrapServer", "kafka:9092"));
        Assert.False(PortalSettings.IsSetting("KafkaMl:Kubernetes:Imagee", "kafkaml:latest"));
        Assert.False(PortalSettings.IsSetting("KafkaMl:Kafka:EmbeddedPort", "many"));
        Assert.True(PortalSettings.IsSetting("KafkaMl:Kafka:SaslPassword", "secret"));
    }

    [Fact]
    public void The_Secret_holds_only_KafkaMl_settings()
    {
        var secret = k8s.Get<V1Secret>("kafkaml-secrets");
        Assert.Contains(PortalContainer.EnvFrom, e => e.SecretRef?.Name == secret.Metadata.Name);
        Assert.All(secret.StringData ?? new Dictionary<string, string>(),
            s => Assert.True(PortalSettings.IsSetting(s.Key.Replace("__", ":", StringComparison.Ordinal), s.Value), s.Key));
        Assert.Null(secret.Data); // values go in stringData, readable before apply
    }

    [Fact]
    public void The_portal_runs_once_on_its_persistent_volume_with_its_settings_from_the_ConfigMap_and_the_Secret()
    {
        var deployment = PortalDeployment;
        Assert.Equal(1, deployment.Spec.Replicas);
        Assert.Equal("Recreate", deployment.Spec.Strategy.Type); // never two portals on one SQLite file
        var volume = Assert.Single(deployment.Spec.Template.Spec.Volumes);
        Assert.NotNull(k8s.Get<V1PersistentVolumeClaim>(volume.PersistentVolumeClaim.ClaimName));
        var mount = Assert.Single(PortalContainer.VolumeMounts);
        Assert.Equal((volume.Name, Setting("KafkaMl:DataDir")), (mount.Name, mount.MountPath));
        Assert.Contains(PortalContainer.EnvFrom, e => e.ConfigMapRef?.Name == Config);
        Assert.Equal("/healthz", PortalContainer.ReadinessProbe.HttpGet.Path);
    }

    [Fact]
    public void The_portal_listens_where_its_Service_and_the_jobs_portal_url_lead()
    {
        var listen = new Uri(Setting("Urls"));
        var port = Assert.Single(PortalContainer.Ports);
        Assert.Equal(listen.Port, port.ContainerPort);

        var service = k8s.Get<V1Service>(Portal);
        Assert.True(Selects(service.Spec.Selector, PortalDeployment.Spec.Template.Metadata.Labels));
        var servicePort = Assert.Single(service.Spec.Ports);
        Assert.Equal(port.Name, servicePort.TargetPort.Value);

        var portalUrl = new Uri(Setting("KafkaMl:PortalUrl"));
        Assert.Equal((service.Metadata.Name, servicePort.Port), (portalUrl.Host, portalUrl.Port));
    }

    [Fact]
    public void The_portal_and_its_jobs_use_the_in_cluster_Kafka_and_the_portals_own_image()
    {
        var bootstrap = Setting("KafkaMl:Kafka:BootstrapServers").Split(':');
        var service = k8s.Get<V1Service>(bootstrap[0]);
        var servicePort = Assert.Single(service.Spec.Ports, p => p.Port == int.Parse(bootstrap[1]));
        Assert.True(Selects(service.Spec.Selector, KafkaSet.Spec.Template.Metadata.Labels));
        Assert.Equal("INTERNAL", ListenerOfPort(ContainerPort(KafkaContainer, servicePort.TargetPort.Value)));

        Assert.Equal(PortalContainer.Image, Setting("KafkaMl:Kubernetes:Image"));
        var jobAccount = k8s.Get<V1ServiceAccount>(Setting("KafkaMl:Kubernetes:ServiceAccountName"));
        Assert.False(jobAccount.AutomountServiceAccountToken);
        Assert.DoesNotContain(k8s.Get<V1RoleBinding>("kafkaml-runner").Subjects, s => s.Name == jobAccount.Metadata.Name);
    }

    [Fact]
    public void Kafka_runs_the_official_image_in_KRaft_mode_with_a_complete_listener_setup()
    {
        var set = KafkaSet;
        var env = Environment(KafkaContainer);
        Assert.Matches(@"^apache/kafka:\d+\.\d+\.\d+$", KafkaContainer.Image);
        Assert.Equal(["broker", "controller"], env["KAFKA_PROCESS_ROLES"].Split(',').Order(StringComparer.Ordinal));
        var nodeId = env["KAFKA_NODE_ID"];
        var voters = env["KAFKA_CONTROLLER_QUORUM_VOTERS"].Split(',');
        Assert.Contains(voters, v => v.StartsWith($"{nodeId}@", StringComparison.Ordinal));
        Assert.Equal(set.Spec.Replicas, voters.Length);

        var listeners = Listeners(env["KAFKA_LISTENERS"]);
        var protocols = env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].Split(',').Select(p => p.Split(':')).ToDictionary(p => p[0], p => p[1]);
        Assert.All(listeners.Keys, name => Assert.Contains(name, protocols.Keys));
        var controller = env["KAFKA_CONTROLLER_LISTENER_NAMES"];
        Assert.Contains(controller, listeners.Keys);
        Assert.All(voters, v => Assert.EndsWith($":{listeners[controller]}", v, StringComparison.Ordinal));
        Assert.Contains(env["KAFKA_INTER_BROKER_LISTENER_NAME"], listeners.Keys);
        Assert.All(listeners, l => Assert.Contains(KafkaContainer.Ports, p => p.ContainerPort == l.Value));

        var advertised = Listeners(env["KAFKA_ADVERTISED_LISTENERS"]);
        Assert.Equal(listeners.Keys.Where(l => l != controller).Order(StringComparer.Ordinal), advertised.Keys.Order(StringComparer.Ordinal));

        var clusterId = env["CLUSTER_ID"];
        Assert.Equal(22, clusterId.Length);
        Assert.Equal(16, Convert.FromBase64String(clusterId.Replace('-', '+').Replace('_', '/') + "==").Length);
        Assert.All(["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR"],
            key => Assert.InRange(int.Parse(env[key]), 1, set.Spec.Replicas!.Value));
    }

    [Fact]
    public void Kafka_keeps_its_log_on_a_persistent_volume()
    {
        var claim = Assert.Single(KafkaSet.Spec.VolumeClaimTemplates);
        var mount = Assert.Single(KafkaContainer.VolumeMounts, m => m.Name == claim.Metadata.Name);
        Assert.StartsWith(mount.MountPath + "/", Environment(KafkaContainer)["KAFKA_LOG_DIRS"], StringComparison.Ordinal);
    }

    [Fact]
    public void Kafkas_internal_listener_advertises_the_pods_name_under_its_headless_Service()
    {
        var headless = k8s.Get<V1Service>(KafkaSet.Spec.ServiceName);
        Assert.Equal("None", headless.Spec.ClusterIP);
        Assert.True(Selects(headless.Spec.Selector, KafkaSet.Spec.Template.Metadata.Labels));
        var env = Environment(KafkaContainer);
        var internalAddress = Advertised(env, "INTERNAL");
        Assert.Equal($"$(POD_NAME).{headless.Metadata.Name}.$(POD_NAMESPACE).svc.cluster.local:{Listeners(env["KAFKA_LISTENERS"])["INTERNAL"]}", internalAddress);
        Assert.Contains(headless.Spec.Ports, p => p.Port == Listeners(env["KAFKA_LISTENERS"])["INTERNAL"]);
    }

    [Fact]
    public void Kafkas_external_listener_is_published_on_a_NodePort_and_advertises_the_nodes_address_and_that_port()
    {
        var env = Environment(KafkaContainer);
        var external = Assert.Single(k8s.All<V1Service>(), s => s.Spec.Type == "NodePort");
        Assert.True(Selects(external.Spec.Selector, KafkaSet.Spec.Template.Metadata.Labels));
        var port = Assert.Single(external.Spec.Ports);
        Assert.Equal("EXTERNAL", ListenerOfPort(ContainerPort(KafkaContainer, port.TargetPort.Value)));
        Assert.Equal($"$(NODE_IP):{port.NodePort}", Advertised(env, "EXTERNAL"));
        Assert.InRange(port.NodePort!.Value, 30000, 32767);
    }

    [Fact]
    public void Every_variable_an_env_value_refers_to_is_defined_before_it()
    {
        foreach (var container in new[] { KafkaContainer, PortalContainer })
        {
            var defined = new HashSet<string>(StringComparer.Ordinal);
            foreach (var variable in container.Env ?? [])
            {
                foreach (System.Text.RegularExpressions.Match reference in System.Text.RegularExpressions.Regex.Matches(variable.Value ?? "", @"\$\(([A-Za-z_][A-Za-z0-9_]*)\)"))
                    Assert.True(defined.Contains(reference.Groups[1].Value), $"{container.Name}: {variable.Name} refers to $({reference.Groups[1].Value}) before it is defined");
                defined.Add(variable.Name);
            }
        }
    }

    [Fact]
    public void Every_pod_runs_as_a_non_root_user_without_privilege_escalation_or_capabilities()
    {
        var pods = new[] { PortalDeployment.Spec.Template.Spec, KafkaSet.Spec.Template.Spec };
        Assert.All(pods, pod =>
        {
            Assert.True(pod.SecurityContext.RunAsNonRoot);
            Assert.True(pod.SecurityContext.RunAsUser > 0);
            Assert.Equal("RuntimeDefault", pod.SecurityContext.SeccompProfile.Type);
            Assert.All(pod.Containers, c =>
            {
                Assert.False(c.SecurityContext.AllowPrivilegeEscalation);
                Assert.Equal(["ALL"], c.SecurityContext.Capabilities.Drop);
            });
        });
        // Job pods run as the same user as the portal: the image's own.
        Assert.Equal(new KubernetesJobRunnerOptions().RunAsUser, PortalDeployment.Spec.Template.Spec.SecurityContext.RunAsUser);
    }

    [Fact]
    public void The_portal_is_reachable_on_its_port()
    {
        var policy = PolicySelecting(PortalDeployment.Spec.Template.Metadata.Labels);
        var rule = Assert.Single(policy.Spec.Ingress);
        Assert.Null(rule.FromProperty); // users, and jobs
        Assert.Equal([Assert.Single(PortalContainer.Ports).ContainerPort], rule.Ports.Select(p => int.Parse(p.Port.Value)));
    }

    [Fact]
    public void Kafka_is_reachable_from_the_namespace_on_its_internal_listeners_and_from_anywhere_on_its_external_one()
    {
        var env = Environment(KafkaContainer);
        var listeners = Listeners(env["KAFKA_LISTENERS"]);
        var policy = PolicySelecting(KafkaSet.Spec.Template.Metadata.Labels);

        var fromNamespace = Assert.Single(policy.Spec.Ingress, r => r.FromProperty is not null);
        var peer = Assert.Single(fromNamespace.FromProperty);
        Assert.True(peer.PodSelector is { MatchLabels: null, MatchExpressions: null } && peer.NamespaceSelector is null);
        Assert.Equal([listeners["INTERNAL"], listeners["CONTROLLER"]], fromNamespace.Ports.Select(p => int.Parse(p.Port.Value)));
        var fromAnywhere = Assert.Single(policy.Spec.Ingress, r => r.FromProperty is null);
        Assert.Equal([listeners["EXTERNAL"]], fromAnywhere.Ports.Select(p => int.Parse(p.Port.Value)));
    }

    [Fact]
    public void Job_pods_accept_no_connections_and_reach_only_the_portal_Kafka_and_DNS()
    {
        var training = KubernetesWorkloads.Labels(new JobSpec("kafkaml-train-1", JobKind.Training, ["train"], new Dictionary<string, string>()));
        var inference = KubernetesWorkloads.Labels(new JobSpec("kafkaml-infer-1", JobKind.Inference, ["infer"], new Dictionary<string, string>()));
        var policy = PolicySelecting(training);
        Assert.True(Selects(policy.Spec.PodSelector, inference));
        Assert.False(Selects(policy.Spec.PodSelector, PortalDeployment.Spec.Template.Metadata.Labels));
        Assert.False(Selects(policy.Spec.PodSelector, KafkaSet.Spec.Template.Metadata.Labels));
        Assert.Equal(["Egress", "Ingress"], policy.Spec.PolicyTypes.Order(StringComparer.Ordinal));
        Assert.Null(policy.Spec.Ingress);

        int[] PortsTo(IDictionary<string, string> labels) =>
            [.. policy.Spec.Egress.Where(r => r.To.Any(p => p.NamespaceSelector is null && Selects(p.PodSelector, labels))).SelectMany(r => r.Ports).Select(p => int.Parse(p.Port.Value))];
        Assert.Equal([Assert.Single(PortalContainer.Ports).ContainerPort], PortsTo(PortalDeployment.Spec.Template.Metadata.Labels));
        Assert.Equal([Listeners(Environment(KafkaContainer)["KAFKA_LISTENERS"])["INTERNAL"]], PortsTo(KafkaSet.Spec.Template.Metadata.Labels));
        var dns = Assert.Single(policy.Spec.Egress, r => r.To.Any(p => p.NamespaceSelector is not null));
        Assert.All(dns.Ports, p => Assert.Equal(53, int.Parse(p.Port.Value)));
    }

    private V1NetworkPolicy PolicySelecting(IDictionary<string, string> podLabels) =>
        Assert.Single(k8s.All<V1NetworkPolicy>(), p => Selects(p.Spec.PodSelector, podLabels));

    private static bool Selects(IDictionary<string, string>? selector, IDictionary<string, string> labels) =>
        selector is { Count: > 0 } && selector.All(s => labels.TryGetValue(s.Key, out var value) && value == s.Value);

    /// <summary>Kubernetes' label selector semantics: every matchLabels pair and every expression must hold.</summary>
    private static bool Selects(V1LabelSelector selector, IDictionary<string, string> labels) =>
        (selector.MatchLabels ?? new Dictionary<string, string>()).All(s => labels.TryGetValue(s.Key, out var value) && value == s.Value)
        && (selector.MatchExpressions ?? []).All(e => e.OperatorProperty switch
        {
            "In" => labels.TryGetValue(e.Key, out var value) && e.Values.Contains(value),
            "NotIn" => !labels.TryGetValue(e.Key, out var value) || !e.Values.Contains(value),
            "Exists" => labels.ContainsKey(e.Key),
            "DoesNotExist" => !labels.ContainsKey(e.Key),
            _ => throw new InvalidOperationException($"unknown operator {e.OperatorProperty}"),
        });

    private static Dictionary<string, string> Environment(V1Container container) =>
        container.Env.Where(e => e.Value is not null).ToDictionary(e => e.Name, e => e.Value);

    /// <summary><c>NAME://host:port,...</c> → name → port.</summary>
    private static Dictionary<string, int> Listeners(string value) =>
        value.Split(',').ToDictionary(l => l[..l.IndexOf("://", StringComparison.Ordinal)], l => int.Parse(l[(l.LastIndexOf(':') + 1)..]));

    private static string Advertised(Dictionary<string, string> env, string listener) =>
        env["KAFKA_ADVERTISED_LISTENERS"].Split(',').Single(l => l.StartsWith(listener + "://", StringComparison.Ordinal))[(listener.Length + 3)..];

    private static int ContainerPort(V1Container container, string portName) =>
        Assert.Single(container.Ports, p => p.Name == portName).ContainerPort;

    private string ListenerOfPort(int port) =>
        Listeners(Environment(KafkaContainer)["KAFKA_LISTENERS"]).Single(l => l.Value == port).Key;
}

/// <summary>Whether a configuration key is one KafkaMl binds: each options class under its section, unknown keys refused.</summary>
internal static class PortalSettings
{
    /// <summary>The portal's options classes and their sections (ASP.NET's own <c>Urls</c> aside).</summary>
    private static readonly (string Section, Type Options)[] Sections =
    [
        (KafkaMlOptions.Section, typeof(KafkaMlOptions)),
        (KafkaMlOptions.Section, typeof(KafkaMl.Web.Services.OrchestrationOptions)),
        (KubernetesJobRunnerOptions.Section, typeof(KubernetesJobRunnerOptions)),
        (KafkaMl.Core.Orchestration.Local.LocalJobRunnerOptions.Section, typeof(KafkaMl.Core.Orchestration.Local.LocalJobRunnerOptions)),
        (KafkaMl.Web.Hosting.ControlLoggerOptions.Section, typeof(KafkaMl.Web.Hosting.ControlLoggerOptions)),
    ];

    /// <summary>Whether <paramref name="key"/> with <paramref name="value"/> binds to a property of one of the options classes.</summary>
    public static bool IsSetting(string key, string value)
    {
        if (key == "Urls") return Uri.TryCreate(value, UriKind.Absolute, out _);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([KeyValuePair.Create(key, (string?)value)]).Build();
        return Sections.Any(s => key.StartsWith(s.Section + ":", StringComparison.OrdinalIgnoreCase) && Binds(configuration.GetSection(s.Section), s.Options));
    }

    private static bool Binds(IConfigurationSection section, Type options)
    {
        try
        {
            section.Get(options, binder => binder.ErrorOnUnknownConfiguration = true);
            return true;
        }
        catch (InvalidOperationException)
        {
            return false; // names a property the class lacks, or a value its type cannot take
        }
    }
}
