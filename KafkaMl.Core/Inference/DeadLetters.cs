using KafkaMl.Core.Streaming;
using System.Globalization;
using System.Text;
using Confluent.Kafka;
using KafkaMl.Core.Orchestration;

namespace KafkaMl.Core.Inference;

/// <summary>
/// How a message that cannot be predicted is set aside: it goes to <c>&lt;input topic&gt;.dlq</c>
/// (<see cref="TopicNames.DeadLetter"/>) with its original key, value and headers, plus
/// <see cref="InferenceJobRoutes.ErrorHeader"/> (why, UTF-8) and <see cref="SourceHeader"/>
/// (<c>topic:partition:offset</c> of the original), so it can be inspected and sent again.
/// </summary>
public static class DeadLetters
{
    /// <summary>Header naming where a dead letter came from: <c>topic:partition:offset</c>.</summary>
    public const string SourceHeader = "kafkaml-source";

    /// <summary>Longest error text carried in the header (longer reasons are cut).</summary>
    public const int MaxErrorLength = 1000;

    /// <summary>The dead letter of <paramref name="input"/>: the same key and value, its headers plus the error and the source.</summary>
    public static Message<byte[]?, byte[]?> Create(ConsumeResult<byte[]?, byte[]?> input, string error)
    {
        ArgumentNullException.ThrowIfNull(input);
        var headers = new Headers();
        if (input.Message.Headers is { } original)
            foreach (var header in original) headers.Add(header.Key, header.GetValueBytes());
        headers.Add(InferenceJobRoutes.ErrorHeader, Encoding.UTF8.GetBytes(error.Length <= MaxErrorLength ? error : error[..(MaxErrorLength - 3)] + "..."));
        headers.Add(SourceHeader, Encoding.UTF8.GetBytes(Source(input.Topic, input.Partition.Value, input.Offset.Value)));
        return new Message<byte[]?, byte[]?> { Key = input.Message.Key, Value = input.Message.Value, Headers = headers };
    }

    /// <summary><c>topic:partition:offset</c>.</summary>
    public static string Source(string topic, int partition, long offset) =>
        string.Create(CultureInfo.InvariantCulture, $"{topic}:{partition}:{offset}");

    /// <summary>The error a dead letter carries, or null when it has none.</summary>
    public static string? ErrorOf(Headers? headers) => Header(headers, InferenceJobRoutes.ErrorHeader);

    /// <summary>The source (<c>topic:partition:offset</c>) a dead letter carries, or null when it has none.</summary>
    public static string? SourceOf(Headers? headers) => Header(headers, SourceHeader);

    private static string? Header(Headers? headers, string name) =>
        headers is not null && headers.TryGetLastBytes(name, out var bytes) ? Encoding.UTF8.GetString(bytes) : null;
}
