namespace KafkaMl.Core.Federated;

/// <summary>
/// Where a coordinator stands, as its own global topic records it: the last global weights it published (the input of
/// round <see cref="NextRound"/>), the global scaler, and FedAdam's moments. A coordinator that dies is started again
/// and goes on from here: the rounds before <see cref="NextRound"/> are complete.
/// </summary>
public sealed record CoordinatorState(int NextRound, WeightSet? Global, Training.FeatureScaler? Scaler, (WeightSet M, WeightSet V)? Moments)
{
    /// <summary>Nothing published yet.</summary>
    public static CoordinatorState Fresh { get; } = new(0, null, null, null);

    /// <summary>Reads the global topic to its end and keeps the last complete global transfer (and the moments published with it).</summary>
    public static CoordinatorState Read(TransferReader reader, TimeSpan wait, CancellationToken cancellationToken)
    {
        var state = Fresh;
        (WeightSet M, WeightSet V)? moments = null;
        var momentsRound = -1;
        while (reader.Next(wait, cancellationToken) is { AtEnd: false } read)
        {
            if (read.Transfer is not { } transfer) continue;
            var manifest = transfer.Manifest;
            if (manifest.Kind == TransferKinds.Global && manifest.Round >= state.NextRound)
                state = new CoordinatorState(manifest.Round, transfer.Weights, manifest.Scaler, null);
            else if (manifest.Kind == TransferKinds.ServerState && transfer.Weights is { } both)
                (moments, momentsRound) = (SplitMoments(both), manifest.Round);
        }
        return momentsRound == state.NextRound ? state with { Moments = moments } : state;
    }

    /// <summary>FedAdam's moments as one weight set (<c>m/NAME</c>, <c>v/NAME</c>), to travel like weights.</summary>
    public static WeightSet JoinMoments(WeightSet m, WeightSet v) =>
        new([.. m.Tensors.Select(t => t with { Name = "m/" + t.Name }), .. v.Tensors.Select(t => t with { Name = "v/" + t.Name })]);

    private static (WeightSet M, WeightSet V) SplitMoments(WeightSet both) => (
        new WeightSet(both.Tensors.Where(t => t.Name.StartsWith("m/", StringComparison.Ordinal)).Select(t => t with { Name = t.Name[2..] })),
        new WeightSet(both.Tensors.Where(t => t.Name.StartsWith("v/", StringComparison.Ordinal)).Select(t => t with { Name = t.Name[2..] })));
}
