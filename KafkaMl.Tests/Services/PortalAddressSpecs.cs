namespace KafkaMl.Tests.Services;

public sealed class PortalAddressSpecs
{
    [Theory]
    [InlineData("http://127.0.0.1:5000", "http://127.0.0.1:5000")]
    [InlineData("https://127.0.0.1:5001|http://127.0.0.1:5000", "http://127.0.0.1:5000")]
    [InlineData("http://[::]:8080", "http://127.0.0.1:8080")]
    [InlineData("http://0.0.0.0:8080", "http://127.0.0.1:8080")]
    [InlineData("http://+:80", "http://127.0.0.1")]
    [InlineData("http://*:5000", "http://127.0.0.1:5000")]
    [InlineData("http://portal.example:8080|http://localhost:5000", "http://localhost:5000")]
    [InlineData("http://[::]:8080|http://127.0.0.1:9000", "http://127.0.0.1:9000")]
    [InlineData("https://localhost:5001", "https://localhost:5001")]
    public void The_portal_is_reached_over_loopback_http_when_it_listens_there(string addresses, string expected)
    {
        Assert.Equal(expected, PortalAddress.Choose(addresses.Split('|')));
    }

    [Fact]
    public void Without_addresses_there_is_no_choice()
    {
        Assert.Null(PortalAddress.Choose([]));
    }
}
