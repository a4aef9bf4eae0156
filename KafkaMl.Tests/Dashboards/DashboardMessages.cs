namespace KafkaMl.Tests.Dashboards;

/// <summary>Prediction and label messages as dashboards read them: KafkaMl's replicas', Kafka-ML's bare ones, labels.</summary>
internal static class DashboardMessages
{
    public static readonly DateTimeOffset Start = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);

    private static readonly PredictionWriter Writer = new("a-model");

    /// <summary>A KafkaMl replica's prediction of <paramref name="class"/> (its values one-hot).</summary>
    public static byte[] OfClass(int @class, int classes = 3)
    {
        var values = new float[classes];
        values[@class] = 1;
        return Writer.Write(values, @class, partition: 0, offset: 0, modelVersion: 1);
    }

    /// <summary>Kafka-ML's own output: <c>{"values": [...]}</c> and nothing else.</summary>
    public static byte[] Bare(params float[] values) =>
        Encoding.UTF8.GetBytes($"{{\"values\": [{string.Join(", ", values.Select(v => v.ToString(System.Globalization.CultureInfo.InvariantCulture)))}]}}");

    public static byte[] Label(float value) => Encoding.UTF8.GetBytes(value.ToString(System.Globalization.CultureInfo.InvariantCulture));

    public static byte[] Key(int i) => Encoding.UTF8.GetBytes($"sample-{i}");

    public static DateTimeOffset At(int second) => Start.AddSeconds(second);
}
