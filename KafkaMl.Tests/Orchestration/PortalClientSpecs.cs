using KafkaMl.Core.Jobs.Training;
using KafkaMl.Core.Orchestration.Reporting;
using KafkaMl.Tests.Jobs.Training;

namespace KafkaMl.Tests.Orchestration;

/// <summary>The job's HTTP client for the portal, against a real HTTP server on loopback.</summary>
public sealed class PortalClientSpecs
{
    private const string Token = "s3cret-job-token";
    private static readonly PortalClientOptions Quick = new()
    {
        FirstRetryDelay = TimeSpan.FromMilliseconds(50),
        MaxRetryDelay = TimeSpan.FromMilliseconds(200),
        RequestTimeout = TimeSpan.FromSeconds(20),
    };

    [Fact]
    public async Task The_spec_is_fetched_with_the_job_token_in_its_header()
    {
        await using var portal = await FakePortal.StartAsync();
        portal.Spec = JobData.Spec(deploymentId: 4, resultId: 9);
        await using var client = new PortalClient(portal.Url, 9, Token, Quick);

        var spec = await client.GetSpecAsync(CancellationToken.None);

        Assert.Equal(portal.Spec, spec with { Metrics = portal.Spec.Metrics });
        Assert.Equal(["accuracy"], spec.Metrics);
        var request = Assert.Single(portal.Requests);
        Assert.Equal(("GET", TrainingJobRoutes.Spec(9), Token), (request.Method, request.Path, request.Token));
    }

    [Fact]
    public async Task Reports_are_posted_as_camel_case_json_to_their_routes()
    {
        await using var portal = await FakePortal.StartAsync();
        await using var client = new PortalClient(portal.Url, 9, Token, Quick);

        await client.ReportStatusAsync(new TrainingStatusReport("failed", "it broke"), CancellationToken.None);
        await client.ReportEpochAsync(new EpochReportDto(1, Metrics(0.5), Metrics(0.6)), CancellationToken.None);

        Assert.Equal([TrainingJobRoutes.Status(9), TrainingJobRoutes.Epochs(9)], portal.Requests.Select(r => r.Path));
        Assert.All(portal.Requests, r => Assert.Equal(Token, r.Token));
        using var status = JsonDocument.Parse(portal.Requests[0].Body);
        Assert.Equal("failed", status.RootElement.GetProperty("status").GetString());
        Assert.Equal("it broke", status.RootElement.GetProperty("error").GetString());
        Assert.Equal(0.6, portal.Requests[1].Json<EpochReportDto>().Validation["loss"]);
    }

    [Fact]
    public async Task The_result_is_uploaded_as_multipart_with_the_report_weights_and_safetensors_parts()
    {
        await using var portal = await FakePortal.StartAsync();
        await using var client = new PortalClient(portal.Url, 9, Token, Quick);
        var directory = Directory.CreateTempSubdirectory("kafkaml-portal-client-");
        try
        {
            var artifacts = new TrainingArtifacts(Path.Combine(directory.FullName, "model.dat"), Path.Combine(directory.FullName, "model.safetensors"));
            await File.WriteAllBytesAsync(artifacts.WeightsPath, [1, 2, 3]);
            await File.WriteAllBytesAsync(artifacts.SafetensorsPath, [4, 5]);
            var report = new TrainingResultReport(Metrics(0.3), Metrics(0.4), Metrics(0.5), [[3, 1], [0, 4]], 1.5, null);

            await client.ReportResultAsync(report, artifacts, CancellationToken.None);

            var request = Assert.Single(portal.Requests);
            Assert.Equal((TrainingJobRoutes.Result(9), Token), (request.Path, request.Token));
            var parts = request.Parts.ToDictionary(p => p.Name);
            Assert.Null(parts[TrainingJobRoutes.ReportPart].FileName);
            var sent = JsonSerializer.Deserialize<TrainingResultReport>(parts[TrainingJobRoutes.ReportPart].Content, PortalClient.Json)!;
            Assert.Equal([[3, 1], [0, 4]], sent.ConfusionMatrix);
            Assert.Equal(0.5, sent.TestMetrics["loss"]);
            Assert.Equal("model.dat", parts[TrainingJobRoutes.WeightsPart].FileName);
            Assert.Equal([1, 2, 3], parts[TrainingJobRoutes.WeightsPart].Content);
            Assert.Equal("model.safetensors", parts[TrainingJobRoutes.SafetensorsPart].FileName);
            Assert.Equal([4, 5], parts[TrainingJobRoutes.SafetensorsPart].Content);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Reports_answered_with_503_are_retried_and_delivered_once_each_in_order()
    {
        await using var portal = await FakePortal.StartAsync();
        var refusals = 0;
        portal.Answer = request => request.Path.EndsWith("/epochs", StringComparison.Ordinal) && refusals++ < 4 ? 503 : null;
        await using var client = new PortalClient(portal.Url, 9, Token, Quick);

        var reports = Enumerable.Range(1, 5).Select(epoch => client.ReportEpochAsync(new EpochReportDto(epoch, Metrics(1.0 / epoch), Metrics(1.0)), CancellationToken.None)).ToList();
        await Task.WhenAll(reports).WaitAsync(Eventually.Patience);

        Assert.Equal(4, portal.Requests.Count(r => r.AnsweredWith == 503));
        Assert.Equal([1, 2, 3, 4, 5], portal.Accepted.Select(r => r.Json<EpochReportDto>().Epoch));
    }

    [Fact]
    public async Task Reports_made_while_the_portal_is_down_are_delivered_in_order_once_it_is_up()
    {
        var port = FakePortal.FreePort();
        var log = new RecordingLogger();
        await using var client = new PortalClient(new Uri($"http://127.0.0.1:{port}"), 9, Token, Quick, log);

        var reports = new List<Task> { client.ReportStatusAsync(new TrainingStatusReport("deployed"), CancellationToken.None) };
        reports.AddRange(Enumerable.Range(1, 3).Select(epoch => client.ReportEpochAsync(new EpochReportDto(epoch, Metrics(1), Metrics(1)), CancellationToken.None)));
        await log.WaitFor(messages => messages.Count(m => m.Contains("retrying", StringComparison.Ordinal)) >= 2);
        await using var portal = await FakePortal.StartAsync(port);
        await Task.WhenAll(reports).WaitAsync(Eventually.Patience);

        Assert.Equal([TrainingJobRoutes.Status(9), .. Enumerable.Repeat(TrainingJobRoutes.Epochs(9), 3)], portal.Accepted.Select(r => r.Path));
        Assert.Equal([1, 2, 3], portal.Accepted.Skip(1).Select(r => r.Json<EpochReportDto>().Epoch));
    }

    [Fact]
    public async Task A_403_fails_the_report_at_once_and_every_report_after_it()
    {
        await using var portal = await FakePortal.StartAsync();
        portal.Answer = _ => 403;
        await using var client = new PortalClient(portal.Url, 9, "another-result's-token", Quick);

        var first = await Assert.ThrowsAsync<TrainingReportException>(() => client.ReportStatusAsync(new TrainingStatusReport("deployed"), CancellationToken.None).WaitAsync(Eventually.Patience));
        var later = await Assert.ThrowsAsync<TrainingReportException>(() => client.ReportEpochAsync(new EpochReportDto(1, Metrics(1), Metrics(1)), CancellationToken.None).WaitAsync(Eventually.Patience));

        Assert.Equal((403, false), (first.StatusCode, first.CanReportFailure));
        Assert.Contains("token", first.Message, StringComparison.Ordinal);
        Assert.Same(first, later);
        Assert.Single(portal.Requests);
    }

    [Fact]
    public async Task A_409_fails_the_report_as_a_closed_result()
    {
        await using var portal = await FakePortal.StartAsync();
        portal.Answer = request => request.Path.EndsWith("/epochs", StringComparison.Ordinal) ? 409 : null;
        await using var client = new PortalClient(portal.Url, 9, Token, Quick);

        var closed = await Assert.ThrowsAsync<TrainingResultClosedException>(() =>
            client.ReportEpochAsync(new EpochReportDto(1, Metrics(1), Metrics(1)), CancellationToken.None).WaitAsync(Eventually.Patience));

        Assert.Contains("result 9", closed.Message, StringComparison.Ordinal);
        Assert.Contains("the fake portal answers 409", closed.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_portal_that_stays_unavailable_fails_the_report_after_the_give_up_time()
    {
        await using var portal = await FakePortal.StartAsync();
        portal.Answer = _ => 503;
        await using var client = new PortalClient(portal.Url, 9, Token, Quick with { GiveUpAfter = TimeSpan.FromSeconds(1) });

        var error = await Assert.ThrowsAsync<TrainingReportException>(() => client.GetSpecAsync(CancellationToken.None).WaitAsync(Eventually.Patience));

        Assert.Equal((null, false), (error.StatusCode, error.CanReportFailure));
        Assert.Contains("503", error.Message, StringComparison.Ordinal);
        Assert.True(portal.Requests.Count > 1);
    }

    [Fact]
    public async Task The_token_never_appears_in_the_log()
    {
        await using var portal = await FakePortal.StartAsync();
        var calls = 0;
        portal.Answer = _ => ++calls switch { 1 => 500, 2 => 401, _ => null };
        var log = new RecordingLogger();
        await using var client = new PortalClient(portal.Url, 9, Token, Quick, log);

        await Assert.ThrowsAsync<TrainingReportException>(() => client.GetSpecAsync(CancellationToken.None).WaitAsync(Eventually.Patience));

        Assert.NotEmpty(log.Messages);
        Assert.DoesNotContain(log.Messages, m => m.Contains(Token, StringComparison.Ordinal));
    }

    private static Dictionary<string, double> Metrics(double loss) => new() { ["loss"] = loss, ["accuracy"] = 0.5 };

    private sealed class RecordingLogger : ILogger
    {
        private readonly List<string> _messages = [];

        public IReadOnlyList<string> Messages
        {
            get { lock (_messages) return [.. _messages]; }
        }

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (_messages) _messages.Add(formatter(state, exception));
        }

        public Task WaitFor(Func<IReadOnlyList<string>, bool> condition) =>
            Eventually.Until(() => condition(Messages), "the client to log the expected messages");
    }
}
