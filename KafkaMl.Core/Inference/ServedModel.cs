namespace KafkaMl.Core.Inference;

/// <summary>
/// The model an <see cref="InferenceEngine"/> serves and the model version it is, with one owner: a loader on any
/// thread <see cref="Offer"/>s the next version once it is built and loaded; the engine's consuming thread takes it
/// between batches (<see cref="SwapIfOffered"/>), so no batch ever sees two models and no input is answered twice or
/// skipped because of the swap. The replaced module is disposed there, after its last batch.
/// </summary>
public sealed class ServedModel : IDisposable
{
    private InferenceModel _current;
    private int _version; // 0: none (versions start at 1)
    private Candidate? _offered;

    /// <param name="model">The model served from the start.</param>
    /// <param name="version">Its version of the result; null when serving files that have none.</param>
    public ServedModel(InferenceModel model, int? version)
    {
        ArgumentNullException.ThrowIfNull(model);
        _current = model;
        _version = version ?? 0;
    }

    /// <summary>The model served now. Read it on the consuming thread only (another thread may dispose it after a swap).</summary>
    public InferenceModel Current => _current;

    /// <summary>The version served now (null for a model without one).</summary>
    public int? Version => Volatile.Read(ref _version) is var v and > 0 ? v : null;

    /// <summary>The version offered and not yet swapped in, if any.</summary>
    public int? OfferedVersion => Volatile.Read(ref _offered)?.Version;

    /// <summary>
    /// Offers a loaded model to serve from the next batch on. An earlier offer not yet taken is replaced and its module disposed
    /// (nothing ever served it).
    /// </summary>
    public void Offer(InferenceModel model, int version)
    {
        ArgumentNullException.ThrowIfNull(model);
        Interlocked.Exchange(ref _offered, new Candidate(model, version))?.Model.Module.Dispose();
    }

    /// <summary>On the consuming thread, between batches: serves the offered model, if any, and disposes the one it replaces.</summary>
    /// <returns>The version replaced and the version now served, or null when nothing was offered.</returns>
    public (int? From, int To)? SwapIfOffered()
    {
        if (Volatile.Read(ref _offered) is null) return null;
        var next = Interlocked.Exchange(ref _offered, null);
        if (next is null) return null;
        var old = _current;
        var from = Version;
        _current = next.Model;
        Volatile.Write(ref _version, next.Version);
        old.Module.Dispose();
        return (from, next.Version);
    }

    /// <summary>Disposes the served module and any offered one (once the engine stopped).</summary>
    public void Dispose()
    {
        Interlocked.Exchange(ref _offered, null)?.Model.Module.Dispose();
        _current.Module.Dispose();
    }

    private sealed record Candidate(InferenceModel Model, int Version);
}
