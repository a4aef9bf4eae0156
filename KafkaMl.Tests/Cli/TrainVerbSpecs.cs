using KafkaMl.Tests.Jobs.Training;
using KafkaMl.Web.Cli;

namespace KafkaMl.Tests.Cli;

/// <summary>The <c>train</c> verb as the runners start it: a real child process, a stand-in portal over HTTP, the test broker.</summary>
[Collection(TrainingJobCollection.Name)]
public sealed class TrainVerbSpecs(BrokerFixture broker, ITestOutputHelper output)
{
    private const string Token = "job-token-of-result-7";

    [Fact]
    public async Task The_train_verb_trains_from_the_stream_reports_to_the_portal_and_exits_0()
    {
        var (data, control) = broker.NewTopics();
        var deployment = JobData.NewDeploymentId();
        var range = await broker.SendSamples(data, 0, JobData.Blobs(40));
        await broker.SendControl(control, deployment, broker.ControlFor([range]));
        await using var portal = await FakePortal.StartAsync();
        portal.Spec = JobData.Spec(deployment, epochs: 4);

        using var job = KafkaMlProcess.Start(["train", "--result", "7"], Environment(portal, control));
        var exitCode = await job.WaitForExitAsync(Eventually.Patience);
        output.WriteLine(job.Transcript);

        Assert.True(exitCode == TrainVerb.Finished, job.Transcript);
        var requests = portal.Requests;
        Assert.All(requests, r => Assert.Equal(Token, r.Token));
        Assert.Equal(
            [TrainingJobRoutes.Spec(7), TrainingJobRoutes.Status(7), TrainingJobRoutes.Status(7), .. Enumerable.Repeat(TrainingJobRoutes.Epochs(7), 4), TrainingJobRoutes.Result(7)],
            requests.Select(r => r.Path));
        Assert.Equal(["deployed", "training"], requests.Skip(1).Take(2).Select(r => r.Json<TrainingStatusReport>().Status));
        Assert.Equal([1, 2, 3, 4], requests.Skip(3).Take(4).Select(r => r.Json<EpochReportDto>().Epoch));
        Assert.Equal([TrainingJobRoutes.ReportPart, TrainingJobRoutes.WeightsPart, TrainingJobRoutes.SafetensorsPart], requests[^1].Parts.Select(p => p.Name));
        Assert.Contains(job.StdoutLines, line => line.Contains("epoch 4/4 loss", StringComparison.Ordinal));
        Assert.Contains(job.StdoutLines, line => line.Contains("test loss", StringComparison.Ordinal));
        Assert.DoesNotContain(Token, job.Transcript, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SIGTERM_while_the_job_waits_for_data_exits_143_without_reporting_a_failure()
    {
        var (_, control) = broker.NewTopics();
        await using var portal = await FakePortal.StartAsync();
        portal.Spec = JobData.Spec(JobData.NewDeploymentId());

        using var job = KafkaMlProcess.Start(["train", "--result", "7"], Environment(portal, control));
        await job.WaitForLineAsync(line => line.Contains("waiting for a control message", StringComparison.Ordinal), Eventually.Patience);
        var exitCode = await job.StopAsync(Eventually.Patience);

        Assert.True(exitCode == TrainVerb.Terminated, job.Transcript);
        Assert.DoesNotContain(portal.Requests, r => r.Body.Contains("\"failed\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_failing_job_exits_1_with_the_reason_on_stderr_and_reports_it()
    {
        var (_, control) = broker.NewTopics();
        await using var portal = await FakePortal.StartAsync();
        portal.Spec = JobData.Spec(JobData.NewDeploymentId(), code: "Linear(2, 2);");

        using var job = KafkaMlProcess.Start(["train", "--result", "7"], Environment(portal, control));
        var exitCode = await job.WaitForExitAsync(Eventually.Patience);

        Assert.True(exitCode == TrainVerb.Failed, job.Transcript);
        Assert.Contains(job.StderrLines, line => line.StartsWith("train: The model script", StringComparison.Ordinal));
        var failed = portal.Requests.Last().Json<TrainingStatusReport>();
        Assert.Equal("failed", failed.Status);
        Assert.Contains("Remove the semicolon", failed.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_train_verb_without_a_result_id_exits_2_with_its_usage()
    {
        using var job = KafkaMlProcess.Start(["train"]);
        var exitCode = await job.WaitForExitAsync(Eventually.Patience);

        Assert.Equal(TrainVerb.BadUsage, exitCode);
        Assert.Contains(job.StderrLines, line => line.Contains("--result is required", StringComparison.Ordinal));
    }

    private Dictionary<string, string?> Environment(FakePortal portal, string controlTopic) => new()
    {
        [JobEnvironment.PortalUrlVariable] = portal.Url.ToString(),
        [JobEnvironment.TokenVariable] = Token,
        [JobEnvironment.BootstrapServersVariable] = broker.BootstrapServers,
        [JobEnvironment.ControlTopicVariable] = controlTopic,
    };
}
