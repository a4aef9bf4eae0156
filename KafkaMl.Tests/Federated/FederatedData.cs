using KafkaMl.Core.Federated;
using static TorchSharp.torch;

namespace KafkaMl.Tests.Federated;

/// <summary>Builders of weight sets and transfers for the federated specs.</summary>
internal static class FederatedData
{
    /// <summary>A two-tensor model state (a Linear(3, 2): <c>weight</c> [2, 3], <c>bias</c> [2]) whose values start at <paramref name="start"/>.</summary>
    public static WeightSet Weights(double start, double step = 0.25) => new(
    [
        new WeightTensor("weight", ScalarType.Float32, [2, 3], [.. Enumerable.Range(0, 6).Select(i => (double)(float)(start + step * i))]),
        new WeightTensor("bias", ScalarType.Float32, [2], [(float)(start - 1), (float)(start + 1)]),
    ]);

    public static TransferManifest Update(string site, int round, long samples) => new()
    {
        Transfer = Guid.NewGuid().ToString("N"),
        Kind = TransferKinds.Update,
        ResultId = 7,
        Round = round,
        Site = site,
        Samples = samples,
    };

    /// <summary>Sends the messages of a transfer through an assembler, as a coordinator reads them.</summary>
    public static ReceivedTransfer? Receive(TransferAssembler assembler, IEnumerable<TransferMessage> messages)
    {
        ReceivedTransfer? received = null;
        foreach (var message in messages) received = assembler.Add(message) ?? received;
        return received;
    }
}
