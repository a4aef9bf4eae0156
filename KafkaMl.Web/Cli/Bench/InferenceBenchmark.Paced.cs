using System.Buffers.Binary;
using System.Diagnostics;
using Confluent.Kafka;
using KafkaMl.Core.Streaming;

namespace KafkaMl.Web.Cli.Bench;

/// <summary><c>bench inference</c>'s paced stream: what the readiness scenarios (cold start, scale, replica loss) time.</summary>
internal sealed partial class InferenceBenchmark
{
    /// <summary>
    /// Keyed RAW samples produced at a fixed rate on an absolute schedule (a late send does not shift the next ones), each
    /// timed from handing it to the producer until its first prediction is read from the output topic; a later answer to the
    /// same key is a duplicate. The stream runs through the events it measures; once it has stopped and drained, windows
    /// are cut out of it by send time. One probe message, sent before the paced ones, times a service's first answer.
    /// </summary>
    private sealed class PacedStream : IDisposable
    {
        private readonly string _input;
        private readonly byte[][] _inputs;
        private readonly double _rate;
        private readonly long _seq0;
        private readonly long[] _sent;
        private readonly long[] _received;
        private readonly int[] _answers;
        private readonly int[] _partitions;
        private readonly IConsumer<byte[], byte[]> _reader;
        private readonly IProducer<byte[], byte[]> _producer;
        private readonly Thread _readerThread;
        private readonly CancellationTokenSource _stopReading = new();
        private readonly Action<byte[], long>? _onAnswer;
        private Task _sender = Task.CompletedTask;
        private volatile bool _stopSending;
        private int _count;
        private long _probeReceived;

        /// <param name="capacity">The most messages the stream may send (it stops sending there).</param>
        /// <param name="onAnswer">Sees every answer to a paced message (its value, when it was read), on the reading thread.</param>
        public PacedStream(string bootstrap, string input, string output, byte[][] inputs, double rate, int capacity, Action<byte[], long>? onAnswer = null)
        {
            _onAnswer = onAnswer;
            _input = input;
            _inputs = inputs;
            _rate = rate;
            _seq0 = NextSequence(capacity + 1) + 1; // sequence _seq0 - 1 is the probe
            _sent = new long[capacity];
            _received = new long[capacity];
            _answers = new int[capacity];
            _partitions = Enumerable.Repeat(-1, capacity).ToArray();
            _reader = OutputReader(bootstrap, output);
            _producer = new ProducerBuilder<byte[], byte[]>(KafkaClientConfig.LowLatencyProducer(bootstrap, "kafkaml-bench-paced"))
                .SetLogHandler((_, _) => { }).Build();
            _readerThread = new Thread(Read) { IsBackground = true, Name = "bench paced reader" };
            _readerThread.Start();
        }

        /// <summary>Messages sent so far.</summary>
        public int Count => Volatile.Read(ref _count);

        /// <summary>When the probe was answered (a <see cref="Stopwatch"/> timestamp), or null.</summary>
        public long? ProbeAnswered => Interlocked.Read(ref _probeReceived) is var at and > 0 ? at : null;

        /// <summary>When message <paramref name="index"/> was handed to the producer (a <see cref="Stopwatch"/> timestamp).</summary>
        public long SentAt(int index) => Volatile.Read(ref _sent[index]);

        /// <summary>Sends the probe: one message, answered like any other, whose answer <see cref="ProbeAnswered"/> records.</summary>
        public long Probe()
        {
            var at = Stopwatch.GetTimestamp();
            _producer.Produce(_input, new Message<byte[], byte[]> { Key = Key(_seq0 - 1), Value = _inputs[0] });
            return at;
        }

        /// <summary>Starts sending at the stream's rate, on a thread of its own (sleeping on the thread pool would starve the embedded broker's relay).</summary>
        public void Start() => _sender = OnOwnThreadAsync(() =>
        {
            var start = Stopwatch.GetTimestamp();
            var period = Stopwatch.Frequency / _rate;
            for (var i = 0; i < _sent.Length && !_stopSending; i++)
            {
                var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), start + (long)(i * period));
                if (wait > TimeSpan.Zero) Thread.Sleep(wait);
                var index = i;
                Volatile.Write(ref _sent[i], Stopwatch.GetTimestamp());
                _producer.Produce(_input, new Message<byte[], byte[]> { Key = Key(_seq0 + i), Value = _inputs[i % Distinct] },
                    report => _partitions[index] = report.Partition.Value);
                Volatile.Write(ref _count, i + 1);
            }
        }, "bench paced sender");

        /// <summary>Waits until <paramref name="timestamp"/> (a <see cref="Stopwatch"/> one) has passed.</summary>
        public static async Task UntilAsync(long timestamp, CancellationToken cancellationToken)
        {
            var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), timestamp);
            if (wait > TimeSpan.Zero) await Task.Delay(wait, cancellationToken);
        }

        /// <summary>Stops sending, then waits up to <paramref name="drain"/> for every message sent to be answered; stops reading.</summary>
        public async Task StopAsync(TimeSpan drain, CancellationToken cancellationToken)
        {
            _stopSending = true;
            await _sender;
            _producer.Flush(TimeSpan.FromSeconds(10));
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < drain && Enumerable.Range(0, Count).Any(i => Volatile.Read(ref _received[i]) == 0))
                await Task.Delay(50, cancellationToken);
            await _stopReading.CancelAsync();
            _readerThread.Join();
        }

        /// <summary>The messages sent from <paramref name="from"/> (a <see cref="Stopwatch"/> timestamp) for <paramref name="length"/>.</summary>
        public IEnumerable<int> SentBetween(long from, TimeSpan length)
        {
            var to = from + (long)(length.TotalSeconds * Stopwatch.Frequency);
            return Enumerable.Range(0, Count).Where(i => _sent[i] >= from && _sent[i] < to);
        }

        /// <summary>The figures of the given messages (after <see cref="StopAsync"/>).</summary>
        public Window Cut(string name, IEnumerable<int> messages)
        {
            var list = messages.ToList();
            var answered = list.Where(i => _received[i] != 0).ToList();
            var times = answered.Select(i => Stopwatch.GetElapsedTime(_sent[i], _received[i]).TotalMilliseconds).ToArray();
            return new Window(name, list.Count, answered.Count, list.Sum(i => (long)Math.Max(0, _answers[i] - 1)),
                times.Length == 0 ? null : Latency.Of(times, 0));
        }

        /// <summary>The messages that went to one of <paramref name="partitions"/> (known from their delivery reports).</summary>
        public IEnumerable<int> On(IEnumerable<int> messages, IReadOnlyCollection<int> partitions) =>
            messages.Where(i => partitions.Contains(_partitions[i]));

        /// <summary>Message <paramref name="index"/>'s latency in ms (null while unanswered) and input partition (-1 while unknown).</summary>
        public (double? Milliseconds, int Partition) Of(int index) =>
            (_received[index] == 0 ? null : Stopwatch.GetElapsedTime(_sent[index], _received[index]).TotalMilliseconds, _partitions[index]);

        /// <summary>The input partitions the given messages went to, ascending.</summary>
        public IReadOnlyList<int> PartitionsOf(IEnumerable<int> messages) =>
            messages.Select(i => _partitions[i]).Where(p => p >= 0).Distinct().Order().ToList();

        /// <summary>The given messages answered after more than <paramref name="milliseconds"/>, or never.</summary>
        public IReadOnlyList<int> SlowerThan(IEnumerable<int> messages, double milliseconds) =>
            messages.Where(i => _received[i] == 0 || Stopwatch.GetElapsedTime(_sent[i], _received[i]).TotalMilliseconds > milliseconds).ToList();

        /// <summary>The first answer (a <see cref="Stopwatch"/> timestamp) among the given messages, or null.</summary>
        public long? FirstAnswer(IEnumerable<int> messages) =>
            messages.Select(i => _received[i]).Where(t => t != 0).DefaultIfEmpty().Min() is var first and > 0 ? first : null;

        public void Dispose()
        {
            _stopSending = true;
            if (!_stopReading.IsCancellationRequested) _stopReading.Cancel();
            if (_readerThread.IsAlive) _readerThread.Join();
            _reader.Close();
            _reader.Dispose();
            _producer.Dispose();
            _stopReading.Dispose();
        }

        private void Read()
        {
            while (!_stopReading.IsCancellationRequested)
            {
                var result = _reader.Consume(20);
                if (result is null) continue;
                var now = Stopwatch.GetTimestamp();
                var index = BinaryPrimitives.ReadInt64LittleEndian(result.Message.Key) - _seq0;
                if (index == -1) Interlocked.CompareExchange(ref _probeReceived, now, 0);
                if (index < 0 || index >= _sent.Length) continue;
                if (++_answers[index] == 1) Volatile.Write(ref _received[index], now);
                _onAnswer?.Invoke(result.Message.Value, now);
            }
        }

        private static byte[] Key(long sequence)
        {
            var key = new byte[8];
            BinaryPrimitives.WriteInt64LittleEndian(key, sequence);
            return key;
        }
    }

    /// <summary>A window of the paced stream: messages sent in it, answered (distinct), answers beyond the first, and the latency of the answered.</summary>
    private sealed record Window(string Name, int Sent, int Answered, long Duplicates, Latency? Latency)
    {
        public int Lost => Sent - Answered;
    }
}
