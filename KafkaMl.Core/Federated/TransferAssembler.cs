namespace KafkaMl.Core.Federated;

/// <summary>A transfer put back together: its manifest and its weights (null for statistics).</summary>
public sealed record ReceivedTransfer(TransferManifest Manifest, WeightSet? Weights);

/// <summary>
/// Collects the messages of transfers as they come off a round topic (chunks first, the manifest last) and hands out a
/// transfer when its manifest arrives: assembled and checked, or rejected with the reason. Chunks of transfers whose
/// manifest never comes are forgotten once more than <see cref="MaxPending"/> transfers are pending.
/// </summary>
public sealed class TransferAssembler
{
    public const int MaxPending = 64;

    private readonly Dictionary<string, Dictionary<int, byte[]>> _pending = new(StringComparer.Ordinal);
    private readonly Queue<string> _order = new();

    /// <summary>
    /// Takes one message: null while its transfer is incomplete (or it is not a transfer's), else the transfer.
    /// </summary>
    /// <exception cref="TransferRejectedException">The manifest arrived and the transfer is unusable.</exception>
    public ReceivedTransfer? Add(TransferMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.Part == WeightTransfer.ChunkPart)
        {
            if (!_pending.TryGetValue(message.Transfer, out var chunks))
            {
                _pending[message.Transfer] = chunks = [];
                _order.Enqueue(message.Transfer);
                while (_order.Count > MaxPending) _pending.Remove(_order.Dequeue());
            }
            chunks[message.Index] = message.Value;
            return null;
        }
        if (message.Part != WeightTransfer.ManifestPart) return null;

        TransferManifest manifest;
        try
        {
            manifest = TransferManifest.Parse(message.Value);
        }
        catch (InvalidDataException e)
        {
            _pending.Remove(message.Transfer);
            throw new TransferRejectedException(RejectionReason.Invalid, e.Message);
        }
        var received = _pending.Remove(message.Transfer, out var parts) ? parts : [];
        return new ReceivedTransfer(manifest, WeightTransfer.Assemble(manifest, received));
    }
}
