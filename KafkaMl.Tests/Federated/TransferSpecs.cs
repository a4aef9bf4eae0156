using KafkaMl.Core.Federated;
using static KafkaMl.Tests.Federated.FederatedData;

namespace KafkaMl.Tests.Federated;

public sealed class TransferSpecs
{
    [Fact]
    public void Weights_split_into_chunks_under_the_limit_come_back_identical_with_a_manifest_naming_every_tensor()
    {
        var weights = Weights(0.5);

        var messages = WeightTransfer.Split(Update("a", 1, 10), weights, chunkBytes: 40);

        Assert.All(messages.SkipLast(1), m => Assert.True(m.Value.Length <= 40));
        var manifest = TransferManifest.Parse(messages[^1].Value);
        Assert.Equal(["bias", "weight"], manifest.Tensors.Select(t => t.Name));
        Assert.Equal(messages.Count - 1, manifest.Chunks.Count);
        var received = Receive(new TransferAssembler(), messages)!;
        Assert.Equal(weights.ByName["weight"].Values, received.Weights!.ByName["weight"].Values);
        Assert.Equal(weights.ByName["bias"].Shape, received.Weights.ByName["bias"].Shape);
    }

    [Fact]
    public void The_manifest_byte_ranges_point_at_each_tensors_bytes()
    {
        var messages = WeightTransfer.Split(Update("a", 1, 10), Weights(2), chunkBytes: 1 << 20);
        var bytes = messages[0].Value;
        var bias = TransferManifest.Parse(messages[^1].Value).Tensors.Single(t => t.Name == "bias");

        var floats = MemoryMarshalFloats(bytes[(int)bias.Begin..(int)bias.End]);

        Assert.Equal([1f, 3f], floats);
    }

    [Fact]
    public void A_transfer_whose_bytes_were_altered_fails_its_checksum_and_is_counted_not_taken()
    {
        var messages = WeightTransfer.Split(Update("a", 1, 10), Weights(0), chunkBytes: 64).ToList();
        messages[1] = messages[1] with { Value = [.. messages[1].Value.Select((b, i) => i == 3 ? (byte)(b ^ 0xFF) : b)] };
        var collector = new RoundCollector(1, TransferKinds.Update, Weights(0));

        var rejection = Assert.Throws<TransferRejectedException>(() => Receive(new TransferAssembler(), messages));
        collector.Reject(rejection.Reason, rejection.Message);

        Assert.Equal(RejectionReason.Checksum, rejection.Reason);
        Assert.Equal(1, collector.Rejected[RejectionReason.Checksum]);
        Assert.Empty(collector.Updates);
    }

    [Fact]
    public void A_transfer_missing_a_chunk_is_rejected_as_incomplete()
    {
        var messages = WeightTransfer.Split(Update("a", 1, 10), Weights(0), chunkBytes: 64).Where(m => m.Index != 1).ToList();

        Assert.Equal(RejectionReason.Incomplete, Assert.Throws<TransferRejectedException>(() => Receive(new TransferAssembler(), messages)).Reason);
    }

    [Fact]
    public void An_update_with_other_tensor_names_is_rejected_and_counted()
    {
        var renamed = new WeightSet(Weights(0).Tensors.Select(t => t with { Name = "fc." + t.Name }));
        var collector = new RoundCollector(1, TransferKinds.Update, Weights(0));

        var why = collector.Offer(Receive(new TransferAssembler(), WeightTransfer.Split(Update("a", 1, 10), renamed))!);

        Assert.Contains("wrong tensor names", why);
        Assert.Equal(1, collector.Rejected[RejectionReason.Tensors]);
        Assert.Empty(collector.Updates);
    }

    [Fact]
    public void An_update_with_another_shape_is_rejected_and_counted()
    {
        var reshaped = new WeightSet(Weights(0).Tensors.Select(t => t.Name == "weight" ? t with { Shape = [3, 2] } : t));
        var collector = new RoundCollector(1, TransferKinds.Update, Weights(0));

        var why = collector.Offer(Receive(new TransferAssembler(), WeightTransfer.Split(Update("a", 1, 10), reshaped))!);

        Assert.Contains("has shape [3, 2]", why);
        Assert.Equal(1, collector.RejectedCount);
    }

    [Fact]
    public void A_late_update_for_an_earlier_round_is_stale_counted_and_dropped()
    {
        var collector = new RoundCollector(3, TransferKinds.Update, Weights(0));

        var why = collector.Offer(Receive(new TransferAssembler(), WeightTransfer.Split(Update("a", 2, 10), Weights(1)))!);

        Assert.Contains("round 2", why);
        Assert.Equal(1, collector.Rejected[RejectionReason.Stale]);
        Assert.Empty(collector.Updates);
    }

    [Fact]
    public void A_site_sending_twice_in_a_round_counts_once_with_its_last_update()
    {
        var collector = new RoundCollector(1, TransferKinds.Update, Weights(0));
        var assembler = new TransferAssembler();

        collector.Offer(Receive(assembler, WeightTransfer.Split(Update("a", 1, 10), Weights(1)))!);
        collector.Offer(Receive(assembler, WeightTransfer.Split(Update("a", 1, 20), Weights(2)))!);

        Assert.Equal(20, Assert.Single(collector.Updates).Samples);
    }

    private static float[] MemoryMarshalFloats(byte[] bytes) =>
        System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes).ToArray();
}
