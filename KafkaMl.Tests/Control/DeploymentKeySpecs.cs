using System.Buffers.Binary;

namespace KafkaMl.Tests.Control;

public sealed class DeploymentKeySpecs
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(42)]
    [InlineData(255)]
    public void One_raw_byte_as_kafka_mls_sink_sends_it_is_the_id(int id)
    {
        Assert.Equal(id, DeploymentKey.Decode(DeploymentKey.EncodeOneByte(id)));
        Assert.Equal(id, DeploymentKey.Decode([(byte)id])); // Python: bytes([id])
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(7L)]
    [InlineData(42L)]
    [InlineData(256L)]
    [InlineData(9_876_543_210L)]
    public void A_decimal_string_is_the_id_and_is_what_kafkaml_sends(long id)
    {
        var key = DeploymentKey.Encode(id);

        Assert.Equal(id, DeploymentKey.Decode(key));
        Assert.True(key.Length >= 2);
        Assert.Equal(id, long.Parse(Encoding.ASCII.GetString(key)));
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(7L)]
    [InlineData(300L)]
    [InlineData(long.MaxValue)]
    public void An_eight_byte_big_endian_integer_is_the_id(long id)
    {
        var key = DeploymentKey.EncodeBigEndian(id);

        Assert.Equal(8, key.Length);
        Assert.Equal(id, DeploymentKey.Decode(key));
    }

    [Fact]
    public void A_four_byte_big_endian_integer_as_later_kafka_ml_clients_send_it_is_the_id()
    {
        var key = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(key, 1000); // int(deployment_id).to_bytes(4, byteorder='big')

        Assert.Equal(1000, DeploymentKey.Decode(key));
    }

    [Fact]
    public void A_single_digit_decimal_string_would_read_as_a_raw_byte_so_kafkaml_pads_it()
    {
        Assert.Equal('7', DeploymentKey.Decode("7"u8)); // one byte is always the raw byte
        Assert.Equal("07", Encoding.ASCII.GetString(DeploymentKey.Encode(7)));
    }

    [Theory]
    [InlineData(new byte[0], "no key")]
    [InlineData(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8, 9 }, "9 bytes")]
    [InlineData(new byte[] { 0x80, 0, 0, 0, 0, 0, 0, 1 }, "negative")]
    public void A_key_that_is_no_deployment_id_is_rejected(byte[] key, string reason)
    {
        var error = Assert.Throws<ControlMessageException>(() => DeploymentKey.Decode(key));

        Assert.Contains(reason, error.Message);
    }

    [Fact]
    public void A_decimal_string_too_large_for_an_id_is_rejected()
    {
        Assert.False(DeploymentKey.TryDecode("99999999999999999999"u8, out _, out var problem));
        Assert.Contains("is not a deployment id", problem);
    }
}
