namespace KafkaMl.Core.Inference;

/// <summary>The model or its inputs cannot be set up for inference; the message says why.</summary>
public sealed class InferenceSetupException : Exception
{
    public InferenceSetupException(string message) : base(message) { }

    public InferenceSetupException(string message, Exception inner) : base(message, inner) { }
}
