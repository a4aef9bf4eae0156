using Microsoft.AspNetCore.Builder;

namespace KafkaMl.Tests.Jobs.Training;

/// <summary>One request the <see cref="FakePortal"/> received.</summary>
/// <param name="Parts">For a multipart request: each part's name, file name (null for a field) and bytes.</param>
internal sealed record PortalRequest(
    string Method,
    string Path,
    string? Token,
    string Body,
    IReadOnlyList<(string Name, string? FileName, byte[] Content)> Parts,
    int AnsweredWith)
{
    public T Json<T>() => JsonSerializer.Deserialize<T>(Body, PortalClient.Json)!;
}

/// <summary>
/// A real HTTP server on 127.0.0.1 standing in for the portal's training-job endpoints: serves a spec, answers
/// reports with 204 unless <see cref="Answer"/> says otherwise, and records every request.
/// </summary>
internal sealed class FakePortal : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Lock _gate = new();
    private readonly List<PortalRequest> _requests = [];

    private FakePortal(WebApplication app) => _app = app;

    /// <summary>The spec served at <see cref="TrainingJobRoutes.Spec"/>.</summary>
    public TrainingJobSpec? Spec { get; set; }

    /// <summary>Decides the status code of a request (null: the normal answer). Called in request order.</summary>
    public Func<PortalRequest, int?>? Answer { get; set; }

    public Uri Url { get; private set; } = null!;

    public IReadOnlyList<PortalRequest> Requests
    {
        get { lock (_gate) return [.. _requests]; }
    }

    /// <summary>The requests answered with success.</summary>
    public IReadOnlyList<PortalRequest> Accepted => [.. Requests.Where(r => r.AnsweredWith < 300)];

    /// <summary>Starts on <paramref name="port"/> (0: any free port).</summary>
    public static async Task<FakePortal> StartAsync(int port = 0)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port));
        var app = builder.Build();
        var portal = new FakePortal(app);
        app.Run(portal.HandleAsync);
        await app.StartAsync();
        var address = app.Urls.Single();
        portal.Url = new Uri(address);
        return portal;
    }

    /// <summary>A port that was free a moment ago (for a portal that is down at first).</summary>
    public static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    /// <summary>Waits until <paramref name="condition"/> holds for the requests received.</summary>
    public Task WaitFor(Func<IReadOnlyList<PortalRequest>, bool> condition) =>
        Eventually.Until(() => condition(Requests), "the portal to receive the expected requests");

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var parts = new List<(string, string?, byte[])>();
        var body = "";
        if (request.HasFormContentType)
        {
            var form = await request.ReadFormAsync();
            foreach (var field in form) parts.Add((field.Key, null, Encoding.UTF8.GetBytes(field.Value.ToString())));
            foreach (var file in form.Files)
            {
                using var content = new MemoryStream();
                await file.CopyToAsync(content);
                parts.Add((file.Name, file.FileName, content.ToArray()));
            }
        }
        else
        {
            using var reader = new StreamReader(request.Body, Encoding.UTF8);
            body = await reader.ReadToEndAsync();
        }

        PortalRequest recorded;
        lock (_gate)
        {
            recorded = new PortalRequest(request.Method, request.Path.Value ?? "", request.Headers[JobEnvironment.TokenHeader].FirstOrDefault(), body, parts, 0);
            var status = Answer?.Invoke(recorded) ?? (request.Method == "GET" ? (Spec is null ? 404 : 200) : 204);
            recorded = recorded with { AnsweredWith = status };
            _requests.Add(recorded);
        }
        context.Response.StatusCode = recorded.AnsweredWith;
        if (recorded.AnsweredWith == 200 && request.Method == "GET")
            await context.Response.WriteAsJsonAsync(Spec, PortalClient.Json);
        else if (recorded.AnsweredWith >= 400)
            await context.Response.WriteAsJsonAsync(new { title = "Refused", detail = $"the fake portal answers {recorded.AnsweredWith}" });
    }
}
