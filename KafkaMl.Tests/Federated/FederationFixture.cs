using KafkaMl.Core.Federated;
using KafkaMl.Tests.EndToEnd;

namespace KafkaMl.Tests.Federated;

/// <summary>
/// Federated learning with real processes, shared by one collection: the portal with its embedded broker (the cloud),
/// and three sites, each a <c>broker</c> verb process of its own plus a <c>federated-agent</c>. The sites' data is
/// generated non-IID (<see cref="FederatedBlobs"/>) and announced on each site's FEDERATED_DATA_CONTROL_TOPIC before the
/// agents start; site "clinic-c" holds fewer samples than any deployment here asks for. A held-back test set never
/// leaves the test.
/// </summary>
public sealed class FederationFixture : IAsyncLifetime
{
    public static readonly string[] Sites = ["clinic-a", "clinic-b", "clinic-c"];

    /// <summary>Class shares per site (non-IID: a and b each see mostly one class; c is small).</summary>
    private static readonly double[][] Shares = [[0.70, 0.25, 0.05], [0.05, 0.25, 0.70], [0.34, 0.33, 0.33]];
    private static readonly int[] Counts = [600, 600, 150];

    /// <summary>Each site's split: 10 % validates each round, 20 % tests the final global model (what the result reports as its test metrics).</summary>
    public const double ValidationRate = 0.1, TestRate = 0.2;

    public static readonly JsonObject Restriction = new() { ["source"] = "clinic", ["unit"] = "mmol" };

    public PortalProcessFixture Portal { get; } = new();

    public BrokerProcessFixture[] Brokers { get; } = [new(), new(), new()];

    public KafkaMlProcess[] Agents { get; } = new KafkaMlProcess[3];

    /// <summary>Each site's samples, as sent to its own broker.</summary>
    public SampleSet[] SiteData { get; } = new SampleSet[3];

    /// <summary>Balanced, from the same distributions, never sent anywhere.</summary>
    public SampleSet TestSet { get; } = FederatedBlobs.Generate([1 / 3.0, 1 / 3.0, 1 / 3.0], 900, seed: 99);

    public async Task InitializeAsync()
    {
        await Task.WhenAll([Portal.InitializeAsync(), .. Brokers.Select(b => b.InitializeAsync())]);
        for (var i = 0; i < Sites.Length; i++)
        {
            SiteData[i] = FederatedBlobs.Generate(Shares[i], Counts[i], seed: i + 1);
            await AnnounceAsync(Brokers[i].BootstrapServers, SiteData[i], "4", Restriction);
        }
        // A dataset of another shape on site a: its matcher must say why it ignores it.
        await AnnounceAsync(Brokers[0].BootstrapServers, FederatedBlobs.Generate(Shares[0], 600, seed: 7, features: 3), "3", Restriction);
        for (var i = 0; i < Sites.Length; i++) Agents[i] = StartAgent(i);
        await Task.WhenAll(Agents.Select(a => a.WaitForLineAsync(l => l.Contains("dataset '"), Eventually.Patience)));
    }

    public KafkaMlProcess StartAgent(int site) => KafkaMlProcess.Start(
        ["federated-agent", "--cloud-bootstrap-servers", Portal.BootstrapServers, "--data-bootstrap-servers", Brokers[site].BootstrapServers, "--site", Sites[site]]);

    /// <summary>Writes samples to a site's broker and announces them as Kafka-ML's FederatedRawSink does.</summary>
    private static async Task AnnounceAsync(string servers, SampleSet samples, string reshape, JsonObject restriction)
    {
        using var sink = new RawSink(new KafkaSinkOptions
        {
            BootstrapServers = servers,
            ControlTopic = FederatedTopics.DataControl,
            Topic = $"site-data-{Guid.NewGuid():N}",
            DeploymentId = 1,
            Partition = 0, // one partition: the site reads its samples in the order sent, so a spec can split them as the site does
            ValidationRate = ValidationRate,
            TestRate = TestRate,
            DatasetRestrictions = JsonValue.Create(restriction.ToJsonString()), // Kafka-ML's federated sinks send a string
        }, new RawFormatConfig(DataReshape: reshape));
        for (var i = 0; i < samples.Count; i++) sink.Send(samples.FeaturesOf(i), samples.LabelOf(i));
        await sink.CompleteAsync();
    }

    public async Task DisposeAsync()
    {
        foreach (var agent in Agents.Where(a => a is not null))
        {
            try { await agent.StopAsync(TimeSpan.FromSeconds(15)); } catch (TimeoutException) { }
            agent.Dispose();
        }
        await Task.WhenAll([Portal.DisposeAsync(), .. Brokers.Select(b => b.DisposeAsync())]);
    }
}

[CollectionDefinition(Name)]
public sealed class FederationCollection : ICollectionFixture<FederationFixture>
{
    public const string Name = "federation";
}

/// <summary>A 3-class, 4-feature Gaussian blob set: class k centred at 2·e_k, deviation 1.</summary>
public static class FederatedBlobs
{
    public static SampleSet Generate(double[] shares, int count, int seed, int features = 4)
    {
        var random = new Random(seed);
        var x = new float[count * features];
        var y = new float[count];
        for (var i = 0; i < count; i++)
        {
            var pick = random.NextDouble();
            var label = pick < shares[0] ? 0 : pick < shares[0] + shares[1] ? 1 : 2;
            y[i] = label;
            for (var f = 0; f < features; f++)
                x[i * features + f] = (float)((f == label ? 2.0 : 0.0) + Gaussian(random));
        }
        return SampleSet.FromArrays(x, [features], y, []);
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2.0 * Math.Log(1.0 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
