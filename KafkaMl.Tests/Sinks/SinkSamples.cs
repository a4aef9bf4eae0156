namespace KafkaMl.Tests.Sinks;

/// <summary>Sample streams whose first feature is the sample's index, so samples read back in any order can be matched.</summary>
internal static class SinkSamples
{
    public static (float[] Features, float[] Label)[] Indexed(int count, int features = 3) =>
        [.. Enumerable.Range(0, count).Select(i =>
        {
            var row = new float[features];
            row[0] = i;
            for (var j = 1; j < features; j++) row[j] = (i * 7 + j) % 13 * 0.5f;
            return (row, new[] { (float)(i % 2) });
        })];

    public static KafkaSinkOptions Options(BrokerFixture broker, (string Data, string Control) topics, long deploymentId = 17) => new()
    {
        BootstrapServers = broker.BootstrapServers,
        Topic = topics.Data,
        ControlTopic = topics.Control,
        DeploymentId = deploymentId,
        Description = "sink specs",
        ValidationRate = 0.1,
        TestRate = 0.2,
    };

    /// <summary>A progress sink that records synchronously (Progress&lt;T&gt; would post to the thread pool).</summary>
    public sealed class Recorder : IProgress<SinkProgress>
    {
        private readonly List<SinkProgress> _reports = [];

        public IReadOnlyList<SinkProgress> Reports
        {
            get { lock (_reports) return [.. _reports]; }
        }

        public void Report(SinkProgress value)
        {
            lock (_reports) _reports.Add(value);
        }
    }
}
