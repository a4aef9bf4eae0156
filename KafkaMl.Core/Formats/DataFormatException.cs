namespace KafkaMl.Core.Formats;

/// <summary>
/// A message, an input format name or an <c>input_config</c> that a data format cannot work with. The
/// message says what was expected and what was found, so it can be shown to the user as it is.
/// </summary>
public sealed class DataFormatException : FormatException
{
    public DataFormatException(string message) : base(message) { }

    public DataFormatException(string message, Exception inner) : base(message, inner) { }
}
