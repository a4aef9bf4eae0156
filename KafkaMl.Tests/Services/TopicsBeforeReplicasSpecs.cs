using KafkaMl.Core.Broker;
using static KafkaMl.Tests.Support.InferenceTestData;

namespace KafkaMl.Tests.Services;

/// <summary>
/// A deploy makes its input, output and dead-letter topics before any replica starts: the real portal on its embedded
/// broker, with a <see cref="FakeJobRunner"/> in place of the replicas' processes.
/// </summary>
[Collection(OrchestrationPortalCollection.Name)]
public sealed class TopicsBeforeReplicasSpecs(OrchestrationPortalFactory portal)
{
    private readonly HttpClient http = portal.CreateClient();

    private EmbeddedBroker Broker => portal.Services.GetRequiredService<EmbeddedBroker>();

    [Fact]
    public async Task A_deploy_on_topics_that_do_not_exist_yet_creates_the_input_output_and_dead_letter_topics_with_the_partitions_asked_before_starting()
    {
        var resultId = await portal.SeedResultAsync(portal.DataDir);
        var id = Guid.NewGuid().ToString("N")[..8];

        var created = await http.CreateAsync(new { resultId, replicas = 2, inputTopic = $"fresh-in-{id}", outputTopic = $"fresh-out-{id}", partitions = 6 });
        await portal.Runner.WaitForStartAsync(JobSpec.InferenceName(created.Id), Eventually.Patience);

        Assert.Equal(6, Partitions(created.InputTopic));
        Assert.Equal(6, Partitions(created.OutputTopic));
        Assert.Equal(6, Partitions(created.DeadLetterTopic));
        Assert.Empty(created.Warnings);
    }

    [Fact]
    public async Task Without_partitions_in_the_request_the_configured_count_is_used()
    {
        var resultId = await portal.SeedResultAsync(portal.DataDir);

        var created = await http.CreateAsync(ARequest(resultId));

        Assert.Equal(4, Partitions(created.InputTopic)); // KafkaMl:Kafka:TopicPartitions, default 4
        Assert.Equal(4, Partitions(created.DeadLetterTopic));
    }

    [Fact]
    public async Task An_existing_input_topic_keeps_its_partition_count_and_fewer_partitions_than_replicas_is_a_warning()
    {
        var resultId = await portal.SeedResultAsync(portal.DataDir);
        var id = Guid.NewGuid().ToString("N")[..8];
        Broker.CreateTopic($"existing-in-{id}", partitions: 2);

        var created = await http.CreateAsync(new { resultId, replicas = 3, inputTopic = $"existing-in-{id}", outputTopic = $"existing-out-{id}", partitions = 6 });

        Assert.Equal(2, Partitions(created.InputTopic));
        Assert.Equal(6, Partitions(created.OutputTopic));
        var warning = Assert.Single(created.Warnings);
        Assert.Contains("2 partition(s) for 3 replicas", warning);
        Assert.Contains("1 replica(s) will sit idle", warning);
    }

    [Fact]
    public async Task A_topic_name_the_broker_refuses_answers_400_with_the_reason_and_starts_nothing()
    {
        var resultId = await portal.SeedResultAsync(portal.DataDir);
        var id = Guid.NewGuid().ToString("N")[..8];
        Broker.CreateTopic($"clash.{id}", partitions: 1);
        var before = portal.Runner.Started.Count;

        using var response = await http.PostAsJsonAsync("/api/inferences", new { resultId, inputTopic = $"clash_{id}", outputTopic = $"clash-out-{id}" }, Json);

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"expected 400, got {(int)response.StatusCode}: {text}");
        var problem = JsonDocument.Parse(text).RootElement;
        var message = Assert.Single(problem.GetProperty("errors").GetProperty("inputTopic").EnumerateArray()).GetString();
        Assert.Contains($"collides with the existing topic 'clash.{id}'", message);
        var listed = await http.GetFromJsonAsync<List<InferenceResponse>>($"/api/inferences?resultId={resultId}", Json);
        Assert.Empty(listed!);
        Assert.Equal(before, portal.Runner.Started.Count);
        Assert.DoesNotContain($"clash-out-{id}", Topics());
    }

    [Fact]
    public async Task The_embedded_creator_says_the_broker_is_unavailable_once_it_is_gone()
    {
        var broker = EmbeddedBroker.Start(new EmbeddedBrokerSettings(Port: 0));
        var creator = new EmbeddedTopicCreator(broker);
        broker.Dispose();

        var problem = await Assert.ThrowsAsync<TopicCreationException>(() => creator.EnsureAsync(["gone-in"], 4, 1));

        Assert.Equal(TopicCreationProblem.Unavailable, problem.Problem);
    }

    private string Bootstrap => portal.Services.GetRequiredService<KafkaEndpoint>().BootstrapServers;

    private int Partitions(string topic)
    {
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = Bootstrap }).SetLogHandler((_, _) => { }).Build();
        return admin.GetMetadata(TimeSpan.FromSeconds(20)).Topics.Single(t => t.Topic == topic).Partitions.Count;
    }

    private IReadOnlyList<string> Topics()
    {
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = Bootstrap }).SetLogHandler((_, _) => { }).Build();
        return admin.GetMetadata(TimeSpan.FromSeconds(20)).Topics.Select(t => t.Topic).ToList();
    }
}
