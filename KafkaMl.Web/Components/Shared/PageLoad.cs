namespace KafkaMl.Web.Components.Shared;

/// <summary>How a page loads what it shows without ending the circuit when the load throws.</summary>
public static class PageLoad
{
    /// <summary>
    /// Runs <paramref name="load"/> (which stores what it read); answers the exception's message when it fails, null
    /// when it succeeds, so the page shows the message instead. A cancellation is not a failure: it propagates.
    /// </summary>
    public static async Task<string?> ErrorOfAsync(Func<Task> load)
    {
        try
        {
            await load();
            return null;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return e.Message;
        }
    }
}
