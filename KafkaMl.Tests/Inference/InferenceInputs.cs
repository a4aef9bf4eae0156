namespace KafkaMl.Tests.Inference;

/// <summary>HCOPD-shaped input messages: 3 float32 features (RAW), key <c>k&lt;i&gt;</c>, a <c>trace</c> header.</summary>
internal static class InferenceInputs
{
    public static readonly RawEncoder Encoder = new(new RawFormatConfig());

    public static readonly RawDecoder Decoder = new(new RawFormatConfig());

    public static float[] Features(int i) => [i % 2, 40 + i % 45, 1 + i % 3];

    public static Message<byte[]?, byte[]?> Message(int i, string prefix = "k") => new()
    {
        Key = Encoding.UTF8.GetBytes($"{prefix}{i}"),
        Value = Encoder.Encode(Features(i), default).Value,
        Headers = new Headers { { "trace", Encoding.UTF8.GetBytes($"t{i}") } },
    };

    public static IEnumerable<Message<byte[]?, byte[]?>> Messages(int count, string prefix = "k") =>
        Enumerable.Range(0, count).Select(i => Message(i, prefix));

    public static PredictionMessage Parse(ConsumeResult<byte[]?, byte[]?> result) => PredictionMessage.Parse(result.Message.Value);
}
