namespace KafkaMl.Core.Control;

/// <summary>A control message (or its key) that cannot be used; the message is the rejection reason, ready to log or show.</summary>
public sealed class ControlMessageException : FormatException
{
    public ControlMessageException(string message) : base(message) { }

    public ControlMessageException(string message, Exception inner) : base(message, inner) { }
}
