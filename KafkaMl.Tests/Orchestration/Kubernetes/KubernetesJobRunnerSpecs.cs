using k8s;
using k8s.Models;
using KafkaMl.Core.Orchestration.Kubernetes;

namespace KafkaMl.Tests.Orchestration.Kubernetes;

/// <summary>The Kubernetes runner starting, stopping and scaling Jobs and Deployments, and the objects it sends.</summary>
public sealed class KubernetesJobRunnerSpecs : KubernetesJobRunnerSpecsBase
{
    [Fact]
    public async Task Starting_a_training_job_posts_a_batch_v1_Job_that_runs_the_image_with_the_verb_once_and_is_cleaned_up_after_its_ttl()
    {
        await _runner.StartAsync(ATrainingSpec("kafkaml-train-7"), default);

        var job = KubernetesJson.Deserialize<V1Job>(Single("POST", JobsPath).Body);
        Assert.Equal("batch/v1", job.ApiVersion);
        Assert.Equal("Job", job.Kind);
        Assert.Equal("kafkaml-train-7", job.Metadata.Name);
        Assert.Equal(0, job.Spec.BackoffLimit);
        Assert.Equal(600, job.Spec.TtlSecondsAfterFinished);
        var pod = job.Spec.Template.Spec;
        Assert.Equal("Never", pod.RestartPolicy);
        Assert.Equal("kafkaml-jobs", pod.ServiceAccountName);
        var container = Assert.Single(pod.Containers);
        Assert.Equal(Image, container.Image);
        Assert.Equal("Always", container.ImagePullPolicy);
        Assert.Equal(["train", "--result", "7"], container.Args);
        Assert.Null(container.Command); // the image's entrypoint is the KafkaMl executable
    }

    [Fact]
    public async Task A_training_job_carries_kafkaml_labels_plus_the_spec_labels_on_the_Job_and_its_pod()
    {
        await _runner.StartAsync(ATrainingSpec("kafkaml-train-8") with { Labels = new Dictionary<string, string> { ["kafkaml.io/result"] = "8" } }, default);

        var job = KubernetesJson.Deserialize<V1Job>(Single("POST", JobsPath).Body);
        var expected = new Dictionary<string, string>
        {
            ["app.kubernetes.io/name"] = "kafkaml",
            ["app.kubernetes.io/component"] = "training",
            ["app.kubernetes.io/managed-by"] = "kafkaml",
            ["kafkaml.io/job"] = "kafkaml-train-8",
            ["kafkaml.io/result"] = "8",
        };
        Assert.Equal(expected, job.Metadata.Labels);
        Assert.Equal(expected, job.Spec.Template.Metadata.Labels);
    }

    [Fact]
    public async Task The_job_environment_is_set_plainly_except_the_token_which_comes_from_the_jobs_Secret()
    {
        await _runner.StartAsync(ATrainingSpec("kafkaml-train-9"), default);

        var env = KubernetesJson.Deserialize<V1Job>(Single("POST", JobsPath).Body).Spec.Template.Spec.Containers[0].Env.ToDictionary(e => e.Name);
        Assert.Equal("http://kafkaml-portal:80", env[JobEnvironment.PortalUrlVariable].Value);
        Assert.Equal("kafka:9092", env[JobEnvironment.BootstrapServersVariable].Value);
        Assert.Equal("kafkaml-train-9", env["KAFKAML_JOB_NAME"].Value);
        Assert.Equal("metadata.name", env["KAFKAML_REPLICA"].ValueFrom.FieldRef.FieldPath);
        var token = env[JobEnvironment.TokenVariable];
        Assert.Null(token.Value);
        Assert.Equal("kafkaml-train-9-env", token.ValueFrom.SecretKeyRef.Name);
        Assert.Equal(JobEnvironment.TokenVariable, token.ValueFrom.SecretKeyRef.Key);
    }

    [Fact]
    public async Task The_token_value_travels_only_in_a_Secret_which_is_then_owned_by_the_Job()
    {
        await _runner.StartAsync(ATrainingSpec("kafkaml-train-10"), default);

        var secret = KubernetesJson.Deserialize<V1Secret>(Single("POST", SecretsPath).Body);
        Assert.Equal("kafkaml-train-10-env", secret.Metadata.Name);
        Assert.Equal(Token, Encoding.UTF8.GetString(secret.Data[JobEnvironment.TokenVariable]));
        Assert.Equal([JobEnvironment.TokenVariable], secret.Data.Keys);
        Assert.DoesNotContain(Token, Single("POST", JobsPath).Body);
        Assert.DoesNotContain(Convert.ToBase64String(Encoding.UTF8.GetBytes(Token)), Single("POST", JobsPath).Body);

        var stored = _api.Get($"{SecretsPath}/kafkaml-train-10-env")!;
        var owner = Assert.Single(stored["metadata"]!["ownerReferences"]!.AsArray())!;
        Assert.Equal("Job", owner["kind"]!.GetValue<string>());
        Assert.Equal("kafkaml-train-10", owner["name"]!.GetValue<string>());
        Assert.Equal(_api.Get($"{JobsPath}/kafkaml-train-10")!["metadata"]!["uid"]!.GetValue<string>(), owner["uid"]!.GetValue<string>());
    }

    [Fact]
    public async Task Resources_come_from_the_spec_and_the_configured_defaults_fill_the_rest()
    {
        await _runner.StartAsync(ATrainingSpec("kafkaml-train-11") with { Resources = new JobResources(CpuLimit: "1500m", MemoryRequest: "1Gi") }, default);

        var resources = KubernetesJson.Deserialize<V1Job>(Single("POST", JobsPath).Body).Spec.Template.Spec.Containers[0].Resources;
        Assert.Equal("250m", resources.Requests["cpu"].ToString());
        Assert.Equal("1Gi", resources.Requests["memory"].ToString());
        Assert.Equal("1500m", resources.Limits["cpu"].ToString());
        Assert.Equal("2Gi", resources.Limits["memory"].ToString());
    }

    [Fact]
    public async Task Job_pods_run_as_a_non_root_user_without_privilege_escalation_or_an_API_token()
    {
        await _runner.StartAsync(ATrainingSpec("kafkaml-train-12"), default);

        var pod = KubernetesJson.Deserialize<V1Job>(Single("POST", JobsPath).Body).Spec.Template.Spec;
        Assert.True(pod.SecurityContext.RunAsNonRoot);
        Assert.Equal(1654, pod.SecurityContext.RunAsUser);
        Assert.False(pod.AutomountServiceAccountToken);
        var security = pod.Containers[0].SecurityContext;
        Assert.False(security.AllowPrivilegeEscalation);
        Assert.Equal(["ALL"], security.Capabilities.Drop);
    }

    [Fact]
    public async Task Starting_a_training_job_that_exists_again_is_answered_409_and_changes_nothing()
    {
        var spec = ATrainingSpec("kafkaml-train-13");
        await _runner.StartAsync(spec, default);
        var uid = _api.Get($"{JobsPath}/kafkaml-train-13")!["metadata"]!["uid"]!.GetValue<string>();

        await _runner.StartAsync(spec, default);

        Assert.Equal(2, _api.Requests.Count(r => r.Method == "POST" && r.Path == JobsPath));
        Assert.Equal(1, _api.Count("jobs"));
        Assert.Equal(uid, _api.Get($"{JobsPath}/kafkaml-train-13")!["metadata"]!["uid"]!.GetValue<string>());
        var owner = _api.Get($"{SecretsPath}/kafkaml-train-13-env")!["metadata"]!["ownerReferences"]![0]!;
        Assert.Equal(uid, owner["uid"]!.GetValue<string>());
    }

    [Fact]
    public async Task Stopping_deletes_the_Job_with_background_propagation_and_its_Secret()
    {
        await _runner.StartAsync(ATrainingSpec("kafkaml-train-14"), default);

        await _runner.StopAsync("kafkaml-train-14", default);

        var delete = Single("DELETE", $"{JobsPath}/kafkaml-train-14");
        Assert.Contains("propagationPolicy=Background", delete.Query);
        Assert.Equal("Background", KubernetesJson.Deserialize<V1DeleteOptions>(delete.Body).PropagationPolicy);
        Single("DELETE", $"{SecretsPath}/kafkaml-train-14-env");
        Assert.Equal(0, _api.Count("jobs"));
        Assert.Equal(0, _api.Count("secrets"));
        Assert.Equal(JobPhase.Unknown, (await _runner.GetStateAsync("kafkaml-train-14", default)).Phase);
    }

    [Fact]
    public async Task Stopping_what_is_already_gone_is_not_an_error()
    {
        await _runner.StopAsync("kafkaml-train-404", default);

        // Job, Deployment and Secret were each asked for and answered 404.
        Assert.Equal(
            [$"{JobsPath}/kafkaml-train-404", $"{DeploymentsPath}/kafkaml-train-404", $"{SecretsPath}/kafkaml-train-404-env"],
            _api.Requests.Where(r => r.Method == "DELETE").Select(r => r.Path));
    }

    [Fact]
    public async Task Starting_an_inference_service_posts_an_apps_v1_Deployment_with_N_replicas_restarted_on_exit()
    {
        await _runner.StartAsync(AnInferenceSpec("kafkaml-infer-3", replicas: 3), default);

        var deployment = KubernetesJson.Deserialize<V1Deployment>(Single("POST", DeploymentsPath).Body);
        Assert.Equal("apps/v1", deployment.ApiVersion);
        Assert.Equal("Deployment", deployment.Kind);
        Assert.Equal(3, deployment.Spec.Replicas);
        Assert.Equal("Always", deployment.Spec.Template.Spec.RestartPolicy);
        Assert.Equal(["infer", "--inference", "3"], deployment.Spec.Template.Spec.Containers[0].Args);
        Assert.Equal("inference", deployment.Spec.Template.Metadata.Labels["app.kubernetes.io/component"]);
        Assert.All(deployment.Spec.Selector.MatchLabels, l => Assert.Equal(l.Value, deployment.Spec.Template.Metadata.Labels[l.Key]));
        var owner = _api.Get($"{SecretsPath}/kafkaml-infer-3-env")!["metadata"]!["ownerReferences"]![0]!;
        Assert.Equal("Deployment", owner["kind"]!.GetValue<string>());
    }

    [Fact]
    public async Task Scaling_patches_the_scale_subresource_of_the_Deployment()
    {
        await _runner.StartAsync(AnInferenceSpec("kafkaml-infer-4", replicas: 1), default);

        await _runner.ScaleAsync("kafkaml-infer-4", 5, default);

        var patch = Single("PATCH", $"{DeploymentsPath}/kafkaml-infer-4/scale");
        Assert.StartsWith("application/merge-patch+json", patch.ContentType, StringComparison.Ordinal);
        Assert.Equal(5, patch.Json!["spec"]!["replicas"]!.GetValue<int>());
        Assert.Equal(5, _api.Get($"{DeploymentsPath}/kafkaml-infer-4")!["spec"]!["replicas"]!.GetValue<int>());
    }

    [Fact]
    public async Task Scaling_a_service_that_does_not_exist_says_so()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => _runner.ScaleAsync("kafkaml-infer-404", 2, default));

        Assert.Contains("kafkaml-infer-404", error.Message);
    }

    [Fact]
    public async Task Stopping_an_inference_service_deletes_its_Deployment_with_background_propagation()
    {
        await _runner.StartAsync(AnInferenceSpec("kafkaml-infer-5", replicas: 2), default);

        await _runner.StopAsync("kafkaml-infer-5", default);

        Assert.Contains("propagationPolicy=Background", Single("DELETE", $"{DeploymentsPath}/kafkaml-infer-5").Query);
        Assert.Equal(0, _api.Count("deployments"));
        Assert.Equal(0, _api.Count("secrets"));
    }

    [Fact]
    public async Task Every_object_the_runner_sends_fits_the_Kubernetes_schema_of_its_kind()
    {
        await _runner.StartAsync(ATrainingSpec("kafkaml-train-30") with { Resources = new JobResources("1", "2", "3Gi", null) }, default);
        await _runner.StartAsync(AnInferenceSpec("kafkaml-infer-30", replicas: 2), default);

        var created = _api.Requests.Where(r => r.Method == "POST").ToList();

        Assert.Equal(["Secret", "Job", "Secret", "Deployment"], created.Select(r => r.Json!["kind"]!.GetValue<string>()));
        Assert.All(created, r => Assert.Empty(KubernetesObjectChecks.Problems(r.Json!)));
    }

    [Fact]
    public async Task The_runner_needs_exactly_the_RBAC_rules_it_declares()
    {
        await _runner.StartAsync(ATrainingSpec("kafkaml-train-40"), default);
        await _runner.StartAsync(ATrainingSpec("kafkaml-train-40"), default);
        await _runner.StartAsync(AnInferenceSpec("kafkaml-infer-40", replicas: 1), default);
        PutPod("kafkaml-infer-40-a", "kafkaml-infer-40", """{"phase": "Running"}""");
        await _runner.ScaleAsync("kafkaml-infer-40", 2, default);
        await _runner.GetStateAsync("kafkaml-train-40", default);
        await _runner.GetStateAsync("kafkaml-infer-40", default);
        await _runner.GetLogAsync("kafkaml-infer-40", 10, default);
        await _runner.StopAsync("kafkaml-train-40", default);
        await _runner.StopAsync("kafkaml-infer-40", default);

        var used = _api.Requests.GroupBy(r => r.Resource)
            .ToDictionary(g => g.Key, g => g.Select(r => r.Verb).ToHashSet());
        var declared = KubernetesPermission.RequiredByRunner.ToDictionary(p => (p.ApiGroup, p.Resource), p => p.Verbs.ToHashSet());

        Assert.Equal(declared.Keys.Order(), used.Keys.Order());
        Assert.All(declared, rule => Assert.Equal(rule.Value.Order(), used[rule.Key].Order()));
    }

    [Fact]
    public async Task A_job_name_that_is_not_a_DNS_label_is_refused_before_anything_is_sent()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => _runner.StartAsync(ATrainingSpec("Train_7"), default));

        Assert.Empty(_api.Requests);
    }
}
