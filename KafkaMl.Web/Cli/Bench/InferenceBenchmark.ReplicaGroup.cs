using System.Diagnostics;

namespace KafkaMl.Web.Cli.Bench;

internal sealed partial class InferenceBenchmark
{
    /// <summary>
    /// Portal-free <c>infer</c> processes in one consumer group on fresh topics of this benchmark's broker, with the
    /// paced stream the scale and loss scenarios run through them; disposing stops them (SIGTERM, then kill).
    /// </summary>
    private sealed class ReplicaGroup : IAsyncDisposable
    {
        private readonly Settings _settings;
        private readonly BenchBroker _broker;
        private readonly ModelFiles _files;
        private readonly string _input;
        private readonly string _output;
        private readonly string _group;
        private readonly List<InferenceReplica> _replicas = [];

        private ReplicaGroup(Settings settings, BenchBroker broker, ModelFiles files, string kind)
        {
            _settings = settings;
            _broker = broker;
            _files = files;
            (_input, _output) = NewTopics(broker, settings.Partitions, kind);
            _group = $"bench-{kind}-{Guid.NewGuid():N}";
        }

        public IReadOnlyList<InferenceReplica> Replicas => _replicas;

        /// <summary>The group protocol the replicas join with, in the report's words.</summary>
        public string Protocol => _broker.IsEmbedded ? "KIP-848 consumer group protocol" : "classic protocol, cooperative-sticky";

        /// <summary>Starts <paramref name="count"/> replicas and waits until they share the input partitions.</summary>
        public static async Task<ReplicaGroup> StartAsync(
            Settings settings, BenchBroker broker, ModelFiles files, string kind, int count, CancellationToken cancellationToken)
        {
            var group = new ReplicaGroup(settings, broker, files, kind);
            try
            {
                await Console.Error.WriteLineAsync($"{kind}: starting {count} infer processes");
                group.Add(count);
                await InferenceReplica.WaitForGroupAsync(group._replicas, settings.Partitions, TimeSpan.FromSeconds(180), cancellationToken);
                return group;
            }
            catch
            {
                await group.DisposeAsync();
                throw;
            }
        }

        /// <summary>Starts <paramref name="count"/> more replicas (the next indices) without waiting for them.</summary>
        public void Add(int count)
        {
            var first = _replicas.Count;
            for (var r = first; r < first + count; r++)
                _replicas.Add(StartReplica(r, _files, _input, _output, _group, _broker, _settings));
        }

        /// <summary>A paced stream on the group's topics, with room for a warm-up and <paramref name="windows"/> windows (and slack).</summary>
        public PacedStream Stream(byte[][] inputs, int windows) =>
            new(_broker.BootstrapServers, _input, _output, inputs, _settings.PacedRate,
                (int)(_settings.PacedRate * (WarmUp + Gap + Drain).TotalSeconds + _settings.PacedRate * (windows * _settings.WindowSeconds + 60)));

        /// <summary>Starts the stream and lets it run through the warm-up, the steady-state window and the gap; returns when that window began.</summary>
        public async Task<long> SteadyStateAsync(PacedStream stream, TimeSpan window, CancellationToken cancellationToken)
        {
            await Console.Error.WriteLineAsync($"paced stream: {_settings.PacedRate} msg/s, steady state for {window.TotalSeconds:0} s");
            stream.Start();
            var steadyFrom = Stopwatch.GetTimestamp() + Ticks(WarmUp);
            await PacedStream.UntilAsync(steadyFrom + Ticks(window + Gap), cancellationToken);
            return steadyFrom;
        }

        /// <summary>The replicas' <c>startup</c> lines (where their start-up went), as they printed them.</summary>
        public IEnumerable<string> StartupLines() =>
            _replicas.Select(r => r.Startup).OfType<string>();

        public async ValueTask DisposeAsync()
        {
            await Task.WhenAll(_replicas.Select(r => r.StopAsync(TimeSpan.FromSeconds(30))));
            foreach (var replica in _replicas) replica.Dispose();
        }
    }
}
