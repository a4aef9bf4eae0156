using KafkaMl.Core.Streaming;

namespace KafkaMl.Tests.Support;

/// <summary>An inference's input topic, its output topic, its consumer group and (derived) its dead-letter topic.</summary>
public sealed record InferenceTopics(string Input, string Output, string Group)
{
    public string DeadLetters => TopicNames.DeadLetter(Input);
}
