namespace KafkaMl.Core.Training;

/// <summary>
/// Training, evaluation or prediction cannot go on with this model and these samples (shapes that do
/// not fit, labels that are not class indices, a loss that became NaN, a weights file that does not
/// match the model). The message says what was expected and what was found, ready to show the user
/// as the reason a result failed.
/// </summary>
public sealed class TrainingException : Exception
{
    public TrainingException(string message) : base(message) { }

    public TrainingException(string message, Exception inner) : base(message, inner) { }
}
