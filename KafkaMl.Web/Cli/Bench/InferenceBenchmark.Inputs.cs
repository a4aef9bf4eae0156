using KafkaMl.Core.Streaming;
using System.Diagnostics;
using KafkaMl.Core.Domain;
using KafkaMl.Core.Formats;
using KafkaMl.Core.Inference;
using KafkaMl.Core.Sinks;
using KafkaMl.Core.Training;
using TorchSharp;

namespace KafkaMl.Web.Cli.Bench;

/// <summary><c>bench inference</c>'s inputs and its in-process scenarios: the HCOPD rows as messages, one sample at a time ("normal") and full batches.</summary>
internal sealed partial class InferenceBenchmark
{
    private static (SampleSet? Samples, string Source) LoadSamples(Settings settings)
    {
        var path = settings.Data ?? Hcopd.Find(Hcopd.DefaultCsv);
        if (path is null) return (null, "");
        var builder = SampleSet.CreateBuilder(256);
        using var csv = CsvSamples.Open(path, new CsvSampleOptions { Label = Hcopd.Label });
        while (csv.MoveNext()) builder.Add(new DecodedSample(csv.Features.ToArray(), [csv.Features.Length], csv.Label.ToArray(), [1]));
        return (builder.Build(), Path.GetRelativePath(Directory.GetCurrentDirectory(), path));
    }

    /// <summary>1024 RAW values (3 float32 features each): the HCOPD rows, repeated, or plausible random rows.</summary>
    private static byte[][] InputMessages(SampleSet? samples)
    {
        var encoder = new RawEncoder(new RawFormatConfig());
        var random = new Random(7);
        var messages = new byte[Distinct][];
        Span<float> features = stackalloc float[3];
        for (var i = 0; i < Distinct; i++)
        {
            if (samples is not null) samples.FeaturesOf(i % samples.Count).CopyTo(features);
            else
            {
                features[0] = random.Next(2);
                features[1] = 40 + random.Next(45);
                features[2] = 1 + random.Next(3);
            }
            messages[i] = encoder.Encode(features, default).Value;
        }
        return messages;
    }

    /// <summary>A fresh input and output topic (and the input's dead-letter topic) on the embedded broker; a given cluster creates them on first use.</summary>
    private static (string Input, string Output) NewTopics(BenchBroker broker, int partitions, string kind)
    {
        var id = Guid.NewGuid().ToString("N")[..10];
        var topics = ($"bench-infer-{kind}-in-{id}", $"bench-infer-{kind}-out-{id}");
        broker.CreateTopic(topics.Item1, partitions);
        broker.CreateTopic(topics.Item2, partitions);
        broker.CreateTopic(TopicNames.DeadLetter(topics.Item1), 1);
        return topics;
    }

    // ---- (a) normal ----

    private static Latency MeasureNormal(torch.nn.Module<torch.Tensor, torch.Tensor> module, FeatureScaler scaler, byte[][] inputs, int count)
    {
        var predictor = new InferenceModel(module, scaler, Loss.CrossEntropy);
        var decoder = new RawDecoder(new RawFormatConfig());
        var features = inputs.Select(v => decoder.Decode(default, v).Features).ToArray();
        for (var i = 0; i < Math.Min(1000, count); i++) predictor.Predict(features[i % Distinct]); // warm-up
        var times = new double[count];
        for (var i = 0; i < count; i++)
        {
            var start = Stopwatch.GetTimestamp();
            predictor.Predict(features[i % Distinct]);
            times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
        return Latency.Of(times, 0);
    }

    /// <summary>Microseconds per prediction when the model predicts full micro-batches (the engine's path, no Kafka).</summary>
    private static double MeasureBatch(torch.nn.Module<torch.Tensor, torch.Tensor> module, FeatureScaler scaler, byte[][] inputs, int batch)
    {
        var model = new InferenceModel(module, scaler, Loss.CrossEntropy);
        var decoder = new RawDecoder(new RawFormatConfig());
        var rows = inputs.Select(v => decoder.Decode(default, v).Features).ToArray();
        var features = new float[batch * 3];
        var clock = new Stopwatch();
        var predicted = 0L;
        for (var round = 0; round < 400; round++)
        {
            for (var j = 0; j < batch; j++) rows[(round * batch + j) % Distinct].CopyTo(features, j * 3);
            if (round >= 100) clock.Start();
            model.Predict(features, [3], batch);
            if (round >= 100)
            {
                clock.Stop();
                predicted += batch;
            }
        }
        return clock.Elapsed.TotalMicroseconds / predicted;
    }
}
