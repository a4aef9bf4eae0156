using System.Buffers.Binary;
using System.Diagnostics;
using Confluent.Kafka;
using KafkaMl.Core.Streaming;

namespace KafkaMl.Web.Cli.Bench;

/// <summary>
/// <c>bench inference</c> end to end, through Kafka: latency (one message at a time at a low rate, from the producer to the
/// prediction read back) and peak throughput (pre-encoded messages blasted, timed until the last prediction is read).
/// </summary>
internal sealed partial class InferenceBenchmark
{
    private sealed record Row(string Scenario, string Setup, double? Paper, Latency Latency);

    private sealed record Latency(int Count, double Min, double P50, double P90, double P99, double Max, long Duplicates)
    {
        /// <summary>The scheduler's noise during the run (oversleep of a 1 ms sleep), when measured.</summary>
        public (double P99, double Max)? Noise { get; init; }

        public static Latency Of(double[] milliseconds, long duplicates)
        {
            var sorted = milliseconds.Order().ToArray();
            return new Latency(sorted.Length, sorted[0], BenchStats.Percentile(sorted, 0.50), BenchStats.Percentile(sorted, 0.90),
                BenchStats.Percentile(sorted, 0.99), sorted[^1], duplicates);
        }
    }

    private static async Task<Latency> MeasureLatencyAsync(
        string bootstrap, string input, string output, Settings settings, byte[][] inputs, string name, CancellationToken cancellationToken)
    {
        var warmup = Math.Clamp(settings.LatencyCount / 10, 5, 100);
        var total = warmup + settings.LatencyCount;
        var sent = new long[total];
        var received = new long[total];
        await Console.Error.WriteLineAsync($"{name}: {warmup} warm-up + {settings.LatencyCount} messages, one every {settings.IntervalMs} ms");

        using var reader = OutputReader(bootstrap, output);
        var seq0 = NextSequence(total);
        long duplicates = 0;
        var got = 0;
        using var stopReading = new CancellationTokenSource();
        using var primed = new ManualResetEventSlim();
        var readerThread = new Thread(() =>
        {
            while (!stopReading.IsCancellationRequested && Volatile.Read(ref got) < total)
            {
                var result = reader.Consume(20);
                if (result is null) continue;
                var now = Stopwatch.GetTimestamp();
                var sequence = BinaryPrimitives.ReadInt64LittleEndian(result.Message.Key);
                if (sequence == PrimingKey) primed.Set();
                var index = sequence - seq0;
                if (index < 0 || index >= total) continue;
                if (received[index] != 0) duplicates++;
                else
                {
                    received[index] = now;
                    Interlocked.Increment(ref got);
                }
            }
        }) { IsBackground = true, Name = "bench latency reader" };
        readerThread.Start();
        using var noise = new SchedulerNoise();

        using (var producer = new ProducerBuilder<byte[], byte[]>(KafkaClientConfig.LowLatencyProducer(bootstrap, "kafkaml-bench-latency")).Build())
        {
            // Before anything is timed: the producer connected (with its idempotent producer id) and the pipeline
            // answered once (a replica's first prediction pays for JIT compilation).
            var ready = new byte[8];
            BinaryPrimitives.WriteInt64LittleEndian(ready, PrimingKey);
            await producer.ProduceAsync(input, new Message<byte[], byte[]> { Key = ready, Value = inputs[0] }, cancellationToken);
            if (!primed.Wait(TimeSpan.FromSeconds(60), cancellationToken))
                throw new BenchFailure($"{name}: no answer to a first message within 60 s.");
            // A thread of its own: sleeping on a thread-pool thread would starve the embedded broker's forwarder.
            await OnOwnThreadAsync(() =>
            {
                for (var i = 0; i < total; i++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var key = new byte[8];
                    BinaryPrimitives.WriteInt64LittleEndian(key, seq0 + i);
                    var message = new Message<byte[], byte[]> { Key = key, Value = inputs[i % Distinct] };
                    sent[i] = Stopwatch.GetTimestamp();
                    producer.Produce(input, message);
                    if (settings.IntervalMs > 0) Thread.Sleep(settings.IntervalMs);
                }
            }, "bench latency sender");
            var deadline = Stopwatch.StartNew();
            while (Volatile.Read(ref got) < total && deadline.Elapsed < TimeSpan.FromSeconds(60))
            {
                cancellationToken.ThrowIfCancellationRequested();
                await Task.Delay(10, cancellationToken);
            }
            producer.Flush(TimeSpan.FromSeconds(10));
        }
        stopReading.Cancel();
        readerThread.Join();
        reader.Close();
        if (got < total) throw new BenchFailure($"{name}: only {got} of {total} predictions arrived within 60 s of the last input.");
        var times = new double[settings.LatencyCount];
        for (var i = 0; i < times.Length; i++)
            times[i] = Stopwatch.GetElapsedTime(sent[warmup + i], received[warmup + i]).TotalMilliseconds;
        return Latency.Of(times, duplicates) with { Noise = noise.Stop() };
    }

    /// <summary>
    /// How late a thread that sleeps 1 ms wakes up, sampled during a latency run: the machine's own scheduling
    /// noise (other processes competing for the cores), which no pipeline can be faster than.
    /// </summary>
    private sealed class SchedulerNoise : IDisposable
    {
        private readonly List<double> _late = new(8192);
        private readonly Thread _thread;
        private volatile bool _stop;

        public SchedulerNoise()
        {
            _thread = new Thread(() =>
            {
                while (!_stop)
                {
                    var start = Stopwatch.GetTimestamp();
                    Thread.Sleep(1);
                    _late.Add(Math.Max(0, Stopwatch.GetElapsedTime(start).TotalMilliseconds - 1));
                }
            }) { IsBackground = true, Name = "bench scheduler noise" };
            _thread.Start();
        }

        /// <summary>p99 and max of the oversleep, in ms.</summary>
        public (double P99, double Max) Stop()
        {
            Dispose();
            if (_late.Count == 0) return (0, 0);
            var sorted = _late.Order().ToArray();
            return (BenchStats.Percentile(sorted, 0.99), sorted[^1]);
        }

        public void Dispose()
        {
            _stop = true;
            _thread.Join();
        }
    }

    /// <summary>The key of the message that primes a latency run (never a sequence number).</summary>
    private const long PrimingKey = -1;

    private static long _sequence;

    /// <summary>A fresh range of sequence numbers (keys) so runs on the same topics never mix.</summary>
    private static long NextSequence(int count) => Interlocked.Add(ref _sequence, count + 1_000) - count;

    /// <summary>A consumer of every output partition from its current end: only predictions made from now on are read.</summary>
    private static IConsumer<byte[], byte[]> OutputReader(string bootstrap, string output)
    {
        var config = KafkaClientConfig.LowLatencyConsumer(bootstrap, $"bench-reader-{Guid.NewGuid():N}", "kafkaml-bench-reader");
        config.EnableAutoCommit = false;
        var consumer = new ConsumerBuilder<byte[], byte[]>(config).SetLogHandler((_, _) => { }).Build();
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrap }).Build();
        var partitions = admin.GetMetadata(output, TimeSpan.FromSeconds(20)).Topics.Single().Partitions.Select(p => p.PartitionId).ToList();
        if (partitions.Count == 0) throw new BenchFailure($"the output topic {output} has no partitions.");
        consumer.Assign(partitions.Select(p =>
            new TopicPartitionOffset(output, p, consumer.QueryWatermarkOffsets(new TopicPartition(output, p), TimeSpan.FromSeconds(20)).High)));
        return consumer;
    }

    // ---- (d) throughput ----

    private sealed record Throughput(long Count, TimeSpan Elapsed, long Duplicates)
    {
        public double PerSecond => Count / Elapsed.TotalSeconds;
    }

    private static async Task<Throughput> MeasureThroughputAsync(
        string bootstrap, string input, string output, Settings settings, byte[][] inputs, CancellationToken cancellationToken)
    {
        var count = settings.ThroughputCount;
        var seen = new bool[count];
        var seq0 = NextSequence(count);
        var keys = new byte[count][];
        for (var i = 0; i < count; i++)
        {
            keys[i] = new byte[8];
            BinaryPrimitives.WriteInt64LittleEndian(keys[i], seq0 + i);
        }
        using var reader = OutputReader(bootstrap, output);
        long got = 0;
        long duplicates = 0;
        var clock = new Stopwatch();
        var readerThread = new Thread(() =>
        {
            var deadline = Stopwatch.StartNew();
            while (got < count && deadline.Elapsed < TimeSpan.FromMinutes(10))
            {
                var result = reader.Consume(50);
                if (result is null) continue;
                var index = BinaryPrimitives.ReadInt64LittleEndian(result.Message.Key) - seq0;
                if (index < 0 || index >= count) continue;
                if (seen[index]) duplicates++;
                else
                {
                    seen[index] = true;
                    if (++got == count) clock.Stop();
                }
            }
        }) { IsBackground = true, Name = "bench throughput reader" };

        var config = KafkaClientConfig.Producer(bootstrap, "kafkaml-bench-blast");
        config.LingerMs = 5;
        config.QueueBufferingMaxMessages = 1_000_000;
        config.QueueBufferingMaxKbytes = 1024 * 1024;
        config.DeliveryReportFields = "none";
        using var producer = new ProducerBuilder<byte[], byte[]>(config).Build();
        clock.Start();
        readerThread.Start();
        await OnOwnThreadAsync(() =>
        {
            for (var i = 0; i < count; i++)
            {
                if ((i & 0xFFF) == 0) cancellationToken.ThrowIfCancellationRequested();
                var message = new Message<byte[], byte[]> { Key = keys[i], Value = inputs[i % Distinct] };
                while (true)
                {
                    try
                    {
                        producer.Produce(input, message);
                        break;
                    }
                    catch (ProduceException<byte[], byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
                    {
                        Thread.Sleep(1);
                    }
                }
            }
            producer.Flush(cancellationToken);
        }, "bench blast sender");
        while (readerThread.IsAlive) await Task.Delay(20, cancellationToken);
        reader.Close();
        if (got < count) throw new BenchFailure($"throughput: only {got:N0} of {count:N0} predictions arrived within 10 minutes.");
        return new Throughput(count, clock.Elapsed, duplicates);
    }

    /// <summary>Runs blocking work on a dedicated thread, never on the thread pool (where the embedded broker relays).</summary>
    private static Task OnOwnThreadAsync(Action work, string name)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                work();
                done.SetResult();
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
        }) { IsBackground = true, Name = name };
        thread.Start();
        return done.Task;
    }
}
