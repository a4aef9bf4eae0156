using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using KafkaMl.Core.Orchestration;

namespace KafkaMl.Web.Cli.Bench;

/// <summary>
/// The two routes of the portal a replica's <see cref="Core.Jobs.Inference.VersionFollower"/> asks, served in memory
/// (handed to <see cref="Core.Inference.InferencePortalClient"/> as its HTTP handler): <c>GET .../version</c> answers the
/// version <see cref="Publish"/>ed last, with the scaler; <c>GET .../weights?version=N</c> the weights file of version N.
/// Records when each version was published and when its weights were first asked for (a <see cref="Stopwatch"/> timestamp).
/// </summary>
internal sealed class VersionPortal(int inferenceId, IReadOnlyList<string> weights, JsonObject scaler) : HttpMessageHandler
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly long[] _published = new long[weights.Count + 1];
    private readonly long[] _asked = new long[weights.Count + 1];
    private int _current = 1;

    /// <summary>The portal's base address (any: nothing leaves this process).</summary>
    public static Uri Address { get; } = new("http://bench-portal.invalid/");

    /// <summary>Versions 1..<see cref="Count"/> are held.</summary>
    public int Count => weights.Count;

    /// <summary>Makes <paramref name="version"/> the one the replicas should serve, as of now; returns when (a <see cref="Stopwatch"/> timestamp).</summary>
    public long Publish(int version)
    {
        var at = Stopwatch.GetTimestamp();
        Volatile.Write(ref _published[version], at);
        Volatile.Write(ref _current, version);
        return at;
    }

    /// <summary>When the weights of <paramref name="version"/> were first asked for, or null.</summary>
    public long? WeightsAsked(int version) => Volatile.Read(ref _asked[version]) is var at and > 0 ? at : null;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var path = request.RequestUri?.AbsolutePath ?? "";
        var query = request.RequestUri?.Query ?? "";
        if (request.Method == HttpMethod.Get && path == InferenceJobRoutes.Version(inferenceId))
            return new HttpResponseMessage(HttpStatusCode.OK) { Content = JsonContent.Create(new InferenceVersionSpec(Volatile.Read(ref _current), scaler), options: Json) };
        if (request.Method == HttpMethod.Get && path == InferenceJobRoutes.Weights(inferenceId)
            && query.StartsWith("?version=", StringComparison.Ordinal)
            && int.TryParse(query["?version=".Length..], NumberStyles.None, CultureInfo.InvariantCulture, out var version)
            && version >= 1 && version <= weights.Count)
        {
            Interlocked.CompareExchange(ref _asked[version], Stopwatch.GetTimestamp(), 0);
            return new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(await File.ReadAllBytesAsync(weights[version - 1], cancellationToken)) };
        }
        return new HttpResponseMessage(HttpStatusCode.NotFound) { RequestMessage = request };
    }
}
