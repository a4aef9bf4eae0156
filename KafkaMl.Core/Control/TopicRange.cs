using System.Globalization;
using System.Text;
using KafkaMl.Core.Streaming;

namespace KafkaMl.Core.Control;

/// <summary>
/// Offsets <c>[Start, End)</c> of one partition of a topic: <c>topic:partition:start:end</c> in a
/// control message, <c>End</c> exclusive (Kafka-ML's sink writes the end offset it reads after
/// flushing, i.e. the next offset to be written).
/// </summary>
public readonly record struct TopicRange(string Topic, int Partition, long Start, long End)
{
    /// <summary>Messages in the range.</summary>
    public long Count => End - Start;

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Topic}:{Partition}:{Start}:{End}");
}

/// <summary>Parses and formats the comma list of <see cref="TopicRange"/>s carried in a control message's <c>topic</c>.</summary>
public static class TopicRanges
{
    /// <summary>Formats ranges as Kafka-ML does: <c>data:0:0:120,data:1:0:119</c>.</summary>
    public static string Format(IEnumerable<TopicRange> ranges)
    {
        var text = new StringBuilder();
        foreach (var range in ranges)
        {
            if (text.Length > 0) text.Append(',');
            text.Append(range.ToString());
        }
        return text.ToString();
    }

    /// <summary>The total number of messages in <paramref name="ranges"/>.</summary>
    public static long Total(IEnumerable<TopicRange> ranges)
    {
        var total = 0L;
        foreach (var range in ranges) total += range.Count;
        return total;
    }

    /// <summary>Parses a range list; throws <see cref="ControlMessageException"/> with the first problem.</summary>
    public static IReadOnlyList<TopicRange> Parse(string? text) =>
        TryParse(text, out var ranges, out var problem) ? ranges : throw new ControlMessageException(problem!);

    /// <summary>
    /// Parses <c>topic:partition:start:end[,...]</c>. Whitespace around items is ignored; a topic name
    /// may hold '.', '_' and '-' but not ':'. Rejected: an empty list, an item without exactly four
    /// parts, an illegal topic name, a partition or offset that is not a whole number, a negative
    /// partition or start, an end before its start, the same partition listed twice with overlapping
    /// offsets. An empty range (end = start, as Kafka-ML writes for partitions it did not touch) is fine.
    /// </summary>
    public static bool TryParse(string? text, out IReadOnlyList<TopicRange> ranges, out string? problem)
    {
        ranges = [];
        problem = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            problem = "topic: the list of topic:partition:start:end ranges is empty.";
            return false;
        }
        var items = text.Split(',');
        var parsed = new List<TopicRange>(items.Length);
        foreach (var raw in items)
        {
            var item = raw.Trim();
            if (item.Length == 0)
            {
                problem = $"topic: '{text}' has an empty item; expected topic:partition:start:end separated by commas.";
                return false;
            }
            var parts = item.Split(':');
            if (parts.Length != 4)
            {
                problem = $"topic: '{item}' is not topic:partition:start:end (it has {parts.Length} part{(parts.Length == 1 ? "" : "s")}; topic names cannot contain ':').";
                return false;
            }
            if (TopicNames.Problem(parts[0]) is { } nameProblem)
            {
                problem = $"topic: '{item}': {nameProblem}";
                return false;
            }
            if (!int.TryParse(parts[1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var partition))
            {
                problem = $"topic: '{item}': the partition '{parts[1]}' is not a whole number.";
                return false;
            }
            if (partition < 0)
            {
                problem = $"topic: '{item}': the partition {partition} is negative.";
                return false;
            }
            if (!long.TryParse(parts[2], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var start)
                || !long.TryParse(parts[3], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var end))
            {
                problem = $"topic: '{item}': the offsets '{parts[2]}' and '{parts[3]}' must be whole numbers.";
                return false;
            }
            if (start < 0)
            {
                problem = $"topic: '{item}': the start offset {start} is negative.";
                return false;
            }
            if (end < start)
            {
                problem = $"topic: '{item}': the end offset {end} is before the start offset {start} (the end is exclusive, so it is at least the start).";
                return false;
            }
            foreach (var other in parsed)
            {
                if (other.Topic == parts[0] && other.Partition == partition && start < other.End && other.Start < end)
                {
                    problem = $"topic: '{item}' overlaps '{other}'; a message would be read twice.";
                    return false;
                }
            }
            parsed.Add(new TopicRange(parts[0], partition, start, end));
        }
        ranges = parsed;
        return true;
    }
}
