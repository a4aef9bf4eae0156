using System.Buffers.Binary;
using System.Diagnostics;
using Confluent.Kafka;
using KafkaMl.Core.Streaming;

namespace KafkaMl.Web.Cli.Bench;

/// <summary><c>bench inference</c>'s peak throughput: pre-encoded messages blasted, timed until the last prediction is read.</summary>
internal sealed partial class InferenceBenchmark
{
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
