namespace KafkaMl.Tests.Orchestration.Kubernetes;

/// <summary>The Kubernetes runner reading the states and logs of Jobs and Deployments from their pods.</summary>
public sealed class KubernetesJobStateSpecs : KubernetesJobRunnerSpecsBase
{
    [Fact]
    public async Task A_Job_with_a_failed_pod_reads_as_Failed_with_the_conditions_message_and_the_containers_exit()
    {
        await _runner.StartAsync(ATrainingSpec("kafkaml-train-20"), default);
        _api.SetStatus($"{JobsPath}/kafkaml-train-20", JsonNode.Parse("""
            {"failed": 1, "active": 0,
             "conditions": [{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded", "message": "Job has reached the specified backoff limit"}]}
            """)!);
        PutPod("kafkaml-train-20-abcde", "kafkaml-train-20", """
            {"phase": "Failed", "containerStatuses": [{"name": "kafkaml", "image": "x", "imageID": "", "ready": false, "restartCount": 0,
              "state": {"terminated": {"exitCode": 3, "reason": "Error", "message": "loading data\nshape [4] does not fit model input [3]\n"}}}]}
            """);

        var state = await _runner.GetStateAsync("kafkaml-train-20", default);

        Assert.Equal(JobPhase.Failed, state.Phase);
        Assert.Equal(3, state.ExitCode);
        Assert.Contains("BackoffLimitExceeded: Job has reached the specified backoff limit", state.Reason);
        Assert.Contains("exit code 3 (Error)", state.Reason);
        Assert.Contains("shape [4] does not fit model input [3]", state.Reason);
    }

    [Fact]
    public async Task A_Job_that_succeeded_reads_as_Succeeded()
    {
        await _runner.StartAsync(ATrainingSpec("kafkaml-train-21"), default);
        _api.SetStatus($"{JobsPath}/kafkaml-train-21", JsonNode.Parse("""
            {"succeeded": 1, "conditions": [{"type": "Complete", "status": "True"}]}
            """)!);

        var state = await _runner.GetStateAsync("kafkaml-train-21", default);

        Assert.Equal(new JobState(JobPhase.Succeeded, ExitCode: 0), state);
    }

    [Fact]
    public async Task A_Job_with_an_active_ready_pod_reads_as_Running_and_one_still_waiting_as_Pending_with_the_reason()
    {
        await _runner.StartAsync(ATrainingSpec("kafkaml-train-22"), default);
        await _runner.StartAsync(ATrainingSpec("kafkaml-train-23"), default);
        _api.SetStatus($"{JobsPath}/kafkaml-train-22", JsonNode.Parse("""{"active": 1, "ready": 1}""")!);
        _api.SetStatus($"{JobsPath}/kafkaml-train-23", JsonNode.Parse("""{"active": 1, "ready": 0}""")!);
        PutPod("kafkaml-train-23-fghij", "kafkaml-train-23", """
            {"phase": "Pending", "containerStatuses": [{"name": "kafkaml", "image": "x", "imageID": "", "ready": false, "restartCount": 0,
              "state": {"waiting": {"reason": "ImagePullBackOff", "message": "Back-off pulling image"}}}]}
            """);

        var running = await _runner.GetStateAsync("kafkaml-train-22", default);
        var pending = await _runner.GetStateAsync("kafkaml-train-23", default);

        Assert.Equal(new JobState(JobPhase.Running, ReadyReplicas: 1), running);
        Assert.Equal(JobPhase.Pending, pending.Phase);
        Assert.Equal("ImagePullBackOff: Back-off pulling image", pending.Reason);
    }

    [Fact]
    public async Task A_Deployment_reads_as_Running_with_its_ready_replicas()
    {
        await _runner.StartAsync(AnInferenceSpec("kafkaml-infer-6", replicas: 2), default);
        _api.SetStatus($"{DeploymentsPath}/kafkaml-infer-6", JsonNode.Parse("""{"replicas": 2, "readyReplicas": 2, "availableReplicas": 2}""")!);

        var state = await _runner.GetStateAsync("kafkaml-infer-6", default);

        Assert.Equal(new JobState(JobPhase.Running, ReadyReplicas: 2), state);
    }

    [Fact]
    public async Task A_Deployment_without_ready_replicas_reads_as_Pending_with_why_its_pods_do_not_run()
    {
        await _runner.StartAsync(AnInferenceSpec("kafkaml-infer-7", replicas: 1), default);
        _api.SetStatus($"{DeploymentsPath}/kafkaml-infer-7", JsonNode.Parse("""{"replicas": 1, "unavailableReplicas": 1}""")!);
        PutPod("kafkaml-infer-7-5d9c-xyz12", "kafkaml-infer-7", """
            {"phase": "Running", "containerStatuses": [{"name": "kafkaml", "image": "x", "imageID": "", "ready": false, "restartCount": 4,
              "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 40s restarting failed container"}},
              "lastState": {"terminated": {"exitCode": 1, "reason": "Error", "message": "unknown input topic"}}}]}
            """);

        var state = await _runner.GetStateAsync("kafkaml-infer-7", default);

        Assert.Equal(JobPhase.Pending, state.Phase);
        Assert.Equal(0, state.ReadyReplicas);
        Assert.Contains("CrashLoopBackOff", state.Reason);
        Assert.Contains("exit code 1 (Error): unknown input topic", state.Reason);
    }

    [Fact]
    public async Task A_workload_that_does_not_exist_reads_as_Unknown()
    {
        var state = await _runner.GetStateAsync("kafkaml-train-999", default);

        Assert.Equal(JobPhase.Unknown, state.Phase);
    }

    [Fact]
    public async Task Logs_are_the_tails_of_the_job_pods_logs()
    {
        await _runner.StartAsync(AnInferenceSpec("kafkaml-infer-8", replicas: 2), default);
        PutPod("kafkaml-infer-8-a", "kafkaml-infer-8", """{"phase": "Running"}""");
        PutPod("kafkaml-infer-8-b", "kafkaml-infer-8", """{"phase": "Running"}""");
        PutPod("other-pod", "kafkaml-infer-999", """{"phase": "Running"}""");
        _api.SetLog("kafkaml-infer-8-a", "a1\na2\na3\n");
        _api.SetLog("kafkaml-infer-8-b", "b1\nb2\n");

        var log = await _runner.GetLogAsync("kafkaml-infer-8", 2, default);

        Assert.Equal("[kafkaml-infer-8-b] b1\n[kafkaml-infer-8-b] b2\n", log);
        var list = Single("GET", PodsPath);
        Assert.Contains("labelSelector=kafkaml.io%2Fjob%3Dkafkaml-infer-8", list.Query);
        Assert.Contains("tailLines=2", Single("GET", $"{PodsPath}/kafkaml-infer-8-a/log").Query);
    }

    [Fact]
    public async Task A_job_without_pods_has_no_log()
    {
        await _runner.StartAsync(ATrainingSpec("kafkaml-train-24"), default);

        Assert.Null(await _runner.GetLogAsync("kafkaml-train-24", 50, default));
    }
}
