using KafkaMl.Core.Control;
using KafkaMl.Core.Formats;

namespace KafkaMl.Core.Sinks;

// Unlabelled samples for semi-supervised training, as Kafka-ML's sinks send them: to the unsupervised topic, keyed by
// one byte 0, the features as the value. A bounded sink names their ranges in the control message's
// unsupervised_topic; an online one announces its labelled part's ranges and the bare unsupervised topic before the
// first unlabelled sample.
public abstract partial class KafkaSink
{
    /// <summary>The dummy key of every unlabelled message (Kafka-ML's: one byte 0); librdkafka copies it, so one array serves all.</summary>
    private static readonly byte[] UnlabelledKeyBytes = [0];

    private readonly OffsetTracker _unlabelledOffsets = new();
    private bool _labelledAnnounced;

    /// <summary>The key of every unlabelled message: one byte 0.</summary>
    public static ReadOnlySpan<byte> UnlabelledKey => UnlabelledKeyBytes;

    /// <summary>The topic unlabelled samples go to (<see cref="KafkaSinkOptions.UnlabelledTopic"/>).</summary>
    public string UnlabelledTopic => Options.UnlabelledTopic;

    /// <summary>An online sink with an unsupervised topic: labelled samples first, announced before the unlabelled ones.</summary>
    private bool SemiSupervisedOnline => Options.Online && Options.UnsupervisedTopic is not null;

    /// <summary>
    /// Sends one unlabelled sample to <see cref="UnlabelledTopic"/>: <paramref name="features"/> encoded as a labelled
    /// sample's value, key one byte 0. A bounded sink puts the ranges written in the control message's
    /// <c>unsupervised_topic</c>. An online sink needs <see cref="KafkaSinkOptions.UnsupervisedTopic"/>: the first
    /// unlabelled sample waits until every labelled one is acknowledged, then the control message goes (the labelled
    /// ranges and their total, the bare unsupervised topic, <c>incremental: true</c>); labelled samples are refused after.
    /// </summary>
    public void SendUnlabelled(ReadOnlySpan<float> features)
    {
        EnsureUnlabelledOpen();
        ProduceUnlabelled(Encoder.Encode(features, default).Value);
    }

    /// <summary><see cref="SendUnlabelled"/> for an already-encoded value (the sink's format, without a label).</summary>
    public void SendUnlabelledEncoded(byte[] value)
    {
        ArgumentNullException.ThrowIfNull(value);
        EnsureUnlabelledOpen();
        ProduceUnlabelled(value);
    }

    private void ProduceUnlabelled(byte[] value)
    {
        if (SemiSupervisedOnline && !_labelledAnnounced)
        {
            StartCore();
            Drain(CancellationToken.None);
            ThrowIfFailed();
            var labelled = _offsets.Ranges(Topic);
            if (labelled.Count == 0)
            {
                throw new InvalidOperationException(
                    "An online semi-supervised stream sends its labelled samples first, then the unlabelled ones; no labelled sample was sent, so there is nothing to announce.");
            }
            OnlineControl = AnnounceLabelledAsync(labelled, UnlabelledTopic, CancellationToken.None).GetAwaiter().GetResult();
        }
        Produce(_unlabelledTarget, UnlabelledKeyBytes, value);
    }

    /// <summary>
    /// Sends the control message of a semi-supervised online stream: the labelled <paramref name="ranges"/> and their
    /// total, <paramref name="unsupervisedTopic"/> bare (null: no unlabelled data), <c>incremental: true</c>.
    /// </summary>
    private async Task<ControlMessage> AnnounceLabelledAsync(IReadOnlyList<TopicRange> ranges, string? unsupervisedTopic, CancellationToken cancellationToken)
    {
        var control = ControlMessage.ForRanges(ranges, Encoder.Format, InputConfig.From(Encoder.InputConfig),
            Options.Description, Options.ValidationRate, Options.TestRate) with
        {
            DatasetRestrictions = Options.DatasetRestrictions?.DeepClone(),
            UnsupervisedTopic = unsupervisedTopic,
            Incremental = true,
        };
        await DeliverControl(control.EnsureValid(), cancellationToken).ConfigureAwait(false);
        _labelledAnnounced = true;
        return control;
    }

    private void EnsureUnlabelledOpen()
    {
        EnsureOpen();
        if (Options.Online && Options.UnsupervisedTopic is null)
        {
            throw new InvalidOperationException(
                "An online sink sends unlabelled samples only when its options name the UnsupervisedTopic: its control message must then wait for the labelled part.");
        }
    }

    private void EnsureLabelledOpen()
    {
        EnsureOpen();
        if (_labelledAnnounced)
        {
            throw new InvalidOperationException(
                "The labelled part of this online semi-supervised stream was already announced (its ranges are in the control message); send every labelled sample before the first unlabelled one.");
        }
    }
}
