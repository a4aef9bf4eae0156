using System.Net.Sockets;
using KafkaMl.Core.Broker;

namespace KafkaMl.Web.Hosting;

public static class StartFailure
{
    /// <summary>The embedded broker's or Kestrel's port is taken (both messages name the port).</summary>
    public static bool IsPortInUse(Exception e) =>
        e is BrokerStartException
        || (e is IOException && e.InnerException is SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse })
        || (e is IOException io && io.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase));
}
