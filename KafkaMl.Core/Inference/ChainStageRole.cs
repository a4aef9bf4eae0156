namespace KafkaMl.Core.Inference;

/// <summary>
/// What makes an inference replica one stage of an early-exit chain (<see cref="InferenceEngineOptions.Chain"/>): it
/// answers a sample on the output topic, with <c>"exit": Stage</c>, when its exit's top probability is at least
/// <see cref="Threshold"/> (the final stage always answers); otherwise it forwards the tensor its stage hands upward
/// (float32, little-endian, RAW) with the input's key, headers and timestamp to <see cref="UpperTopic"/>.
/// </summary>
public sealed class ChainStageRole
{
    private double _threshold;

    /// <summary>1-based; the final stage is <see cref="Stages"/>.</summary>
    public required int Stage { get; init; }

    public required int Stages { get; init; }

    /// <summary>The next stage's input topic; null for the final stage.</summary>
    public string? UpperTopic { get; init; }

    /// <summary>The next stage's Kafka (its own broker may be another: fog, cloud); null: this stage's.</summary>
    public string? UpperBootstrapServers { get; init; }

    /// <summary>Where the answers go (the output topic lives on the first stage's Kafka, beside the chain's input); null: this stage's.</summary>
    public string? OutputBootstrapServers { get; init; }

    /// <summary>The confidence an answer here needs; changed live (the portal's thresholds, read between batches).</summary>
    public double Threshold
    {
        get => Volatile.Read(ref _threshold);
        set => Volatile.Write(ref _threshold, value);
    }

    public bool IsFinal => Stage == Stages;

    /// <summary>Whether a sample whose exit is this sure is answered here (always at the final stage).</summary>
    public bool Answers(float confidence) => IsFinal || confidence >= Threshold;

    /// <summary>Throws <see cref="ArgumentException"/> when the stage cannot work as described.</summary>
    public void Validate()
    {
        if (Stages < 2) throw new ArgumentException("A chain has at least two stages (one stage is a plain model).");
        if (Stage < 1 || Stage > Stages) throw new ArgumentException($"Stage {Stage} is not one of the chain's {Stages} stages.");
        if (!IsFinal && Streaming.TopicNames.Problem(UpperTopic ?? "") is { } problem) throw new ArgumentException($"The next stage's topic: {problem}");
        if (!double.IsFinite(Threshold) || Threshold < 0) throw new ArgumentException($"The threshold of stage {Stage} must be 0 or more (was {Threshold}).");
    }
}
