using System.Globalization;
using Microsoft.AspNetCore.Builder;

namespace KafkaMl.Tests.Orchestration.Kubernetes;

/// <summary>One request the stand-in received: method, path, query, content type and body as sent.</summary>
public sealed record RecordedRequest(string Method, string Path, string Query, string? ContentType, string Body)
{
    public JsonObject? Json => Body.Length == 0 ? null : JsonNode.Parse(Body) as JsonObject;

    /// <summary>The RBAC verb this request needs (<c>create</c>, <c>get</c>, <c>list</c>, <c>patch</c>, <c>update</c>, <c>delete</c>).</summary>
    public string Verb { get; init; } = "";

    /// <summary>The RBAC resource (<c>jobs</c>, <c>deployments/scale</c>, <c>pods/log</c>, ...) and its API group (<c>""</c> = core).</summary>
    public (string Group, string Resource) Resource { get; init; }
}

/// <summary>
/// A stand-in for the Kubernetes API server on 127.0.0.1 (Kestrel): namespaced resources under <c>/api/v1</c> and
/// <c>/apis/&lt;group&gt;/&lt;version&gt;</c> are kept in memory and answered as the API server does — 201 with the stored
/// object on create, 409 <c>AlreadyExists</c> on a duplicate, 404 <c>NotFound</c> on a missing object, JSON merge patches,
/// the <c>scale</c> subresource of Deployments, label-selected lists and pod logs. It also checks what it receives: a
/// created object must name its <c>apiVersion</c>, <c>kind</c> (matching the collection) and <c>metadata.name</c>, and a
/// patch must say its patch type; anything else is answered 400/415 like the real server would. Every request is recorded.
/// </summary>
public sealed class KubernetesApiStandIn : IAsyncDisposable
{
    private static readonly Dictionary<string, (string ApiVersion, string Kind)> Kinds = new(StringComparer.Ordinal)
    {
        ["/apis/batch/v1:jobs"] = ("batch/v1", "Job"),
        ["/apis/apps/v1:deployments"] = ("apps/v1", "Deployment"),
        ["/api/v1:secrets"] = ("v1", "Secret"),
        ["/api/v1:pods"] = ("v1", "Pod"),
    };

    private readonly object _gate = new();
    private readonly Dictionary<string, JsonObject> _objects = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _logs = new(StringComparer.Ordinal);
    private readonly List<RecordedRequest> _requests = [];
    private readonly WebApplication _app;
    private int _version;

    private KubernetesApiStandIn(WebApplication app) => _app = app;

    public string Url { get; private set; } = "";

    public IReadOnlyList<RecordedRequest> Requests
    {
        get { lock (_gate) return [.. _requests]; }
    }

    public static async Task<KubernetesApiStandIn> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var standIn = new KubernetesApiStandIn(app);
        app.Run(standIn.HandleAsync);
        await app.StartAsync();
        standIn.Url = app.Urls.Single();
        return standIn;
    }

    /// <summary>The path of a namespaced object, e.g. <c>ItemPath("apis/batch/v1", "kafkaml", "jobs", "x")</c>.</summary>
    public static string ItemPath(string api, string @namespace, string resource, string name) =>
        $"/{api}/namespaces/{@namespace}/{resource}/{name}";

    /// <summary>The stored object at <paramref name="path"/>, or null.</summary>
    public JsonObject? Get(string path)
    {
        lock (_gate) return _objects.TryGetValue(path, out var found) ? (JsonObject)found.DeepClone() : null;
    }

    /// <summary>How many objects of <paramref name="resource"/> (e.g. <c>jobs</c>) are stored.</summary>
    public int Count(string resource)
    {
        lock (_gate) return _objects.Keys.Count(k => k.Split('/')[^2] == resource);
    }

    /// <summary>Stores <paramref name="obj"/> as if created (a pod the cluster made, for instance).</summary>
    public void Put(string path, JsonObject obj)
    {
        lock (_gate) _objects[path] = Stamp((JsonObject)obj.DeepClone(), path);
    }

    /// <summary>Sets the <c>status</c> of the stored object at <paramref name="path"/>, as the cluster's controllers would.</summary>
    public void SetStatus(string path, JsonNode status)
    {
        lock (_gate)
        {
            if (!_objects.TryGetValue(path, out var obj)) throw new InvalidOperationException($"Nothing stored at {path}");
            obj["status"] = status.DeepClone();
        }
    }

    /// <summary>The log text of pod <paramref name="pod"/>'s (only) container.</summary>
    public void SetLog(string pod, string text)
    {
        lock (_gate) _logs[pod] = text;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        string body;
        using (var reader = new StreamReader(request.Body, Encoding.UTF8)) body = await reader.ReadToEndAsync();
        var path = request.Path.Value ?? "/";
        var route = Route.Parse(path);
        lock (_gate)
        {
            _requests.Add(new RecordedRequest(request.Method, path, request.QueryString.Value ?? "", request.ContentType, body)
            {
                Verb = route is null ? "" : VerbOf(request.Method, route),
                Resource = route is null ? ("", "") : (route.Group, route.Subresource is null ? route.Resource : $"{route.Resource}/{route.Subresource}"),
            });
        }
        if (route is null)
        {
            await Answer(context, 404, StatusObject(404, "NotFound", $"the server could not find the requested resource {path}"));
            return;
        }

        var (code, answer) = request.Method switch
        {
            "POST" when route.Name is null => Create(route, body),
            "GET" when route.Name is null => List(route, request.Query["labelSelector"].ToString()),
            "GET" when route.Subresource == "log" => Log(route, request.Query["tailLines"].ToString()),
            "GET" when route.Subresource is null => Read(route),
            "PATCH" when route.Subresource == "scale" => PatchScale(route, body, request.ContentType),
            "PATCH" when route.Subresource is null => Patch(route, body, request.ContentType),
            "DELETE" when route.Name is not null && route.Subresource is null => Delete(route),
            _ => (405, StatusObject(405, "MethodNotAllowed", $"{request.Method} is not supported on {path}")),
        };
        await Answer(context, code, answer);
    }

    private (int, JsonNode) Create(Route route, string body)
    {
        if (JsonNode.Parse(body) is not JsonObject obj)
            return (400, StatusObject(400, "BadRequest", "the body is not a JSON object"));
        var name = obj["metadata"]?["name"]?.GetValue<string>();
        if (string.IsNullOrEmpty(name))
            return (422, StatusObject(422, "Invalid", "metadata.name: Required value"));
        if (Kinds.TryGetValue($"{route.Api}:{route.Resource}", out var expected)
            && (obj["apiVersion"]?.GetValue<string>() != expected.ApiVersion || obj["kind"]?.GetValue<string>() != expected.Kind))
            return (400, StatusObject(400, "BadRequest", $"the object is not a {expected.ApiVersion} {expected.Kind}"));
        if (obj["metadata"]?["namespace"]?.GetValue<string>() is { } ns && ns != route.Namespace)
            return (400, StatusObject(400, "BadRequest", "the namespace of the provided object does not match the namespace sent on the request"));
        var path = $"{route.Collection}/{name}";
        lock (_gate)
        {
            if (_objects.ContainsKey(path))
                return (409, StatusObject(409, "AlreadyExists", $"{route.Resource} \"{name}\" already exists", name, route.Resource));
            var stored = Stamp(obj, path);
            _objects[path] = stored;
            return (201, stored.DeepClone());
        }
    }

    private (int, JsonNode) Read(Route route)
    {
        lock (_gate)
        {
            return _objects.TryGetValue(route.Item, out var obj)
                ? (200, obj.DeepClone())
                : (404, NotFound(route));
        }
    }

    private (int, JsonNode) List(Route route, string labelSelector)
    {
        var wanted = labelSelector.Split(',', StringSplitOptions.RemoveEmptyEntries)
            .Select(term => term.Split('=', 2))
            .Select(kv => (Key: kv[0].Trim(), Value: kv.Length > 1 ? kv[1].Trim() : null))
            .ToList();
        lock (_gate)
        {
            var items = _objects
                .Where(e => e.Key.StartsWith(route.Collection + "/", StringComparison.Ordinal))
                .Select(e => e.Value)
                .Where(o => wanted.All(w => o["metadata"]?["labels"]?[w.Key]?.GetValue<string>() is { } v && (w.Value is null || v == w.Value)))
                .Select(o => o.DeepClone())
                .ToArray();
            var kind = Kinds.TryGetValue($"{route.Api}:{route.Resource}", out var k) ? k.Kind : "Object";
            return (200, new JsonObject
            {
                ["apiVersion"] = route.Api.TrimStart('/').Replace("apis/", "").Replace("api/", ""),
                ["kind"] = kind + "List",
                ["metadata"] = new JsonObject { ["resourceVersion"] = _version.ToString(CultureInfo.InvariantCulture) },
                ["items"] = new JsonArray(items),
            });
        }
    }

    private (int, JsonNode) Log(Route route, string tailLines)
    {
        lock (_gate)
        {
            if (!_objects.ContainsKey(route.Item)) return (404, NotFound(route));
            var text = _logs.GetValueOrDefault(route.Name!, "");
            if (int.TryParse(tailLines, NumberStyles.None, CultureInfo.InvariantCulture, out var tail))
            {
                var lines = text.Split('\n');
                if (lines[^1].Length == 0) lines = lines[..^1];
                text = string.Concat(lines.TakeLast(tail).Select(l => l + "\n"));
            }
            return (200, JsonValue.Create(text));
        }
    }

    private (int, JsonNode) Patch(Route route, string body, string? contentType)
    {
        if (!IsPatchType(contentType))
            return (415, StatusObject(415, "UnsupportedMediaType", $"the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml; got {contentType}"));
        if (JsonNode.Parse(body) is not JsonObject patch)
            return (400, StatusObject(400, "BadRequest", "the patch is not a JSON object"));
        lock (_gate)
        {
            if (!_objects.TryGetValue(route.Item, out var obj)) return (404, NotFound(route));
            MergePatch(obj, patch);
            obj["metadata"]!["resourceVersion"] = (++_version).ToString(CultureInfo.InvariantCulture);
            return (200, obj.DeepClone());
        }
    }

    private (int, JsonNode) PatchScale(Route route, string body, string? contentType)
    {
        if (!IsPatchType(contentType))
            return (415, StatusObject(415, "UnsupportedMediaType", $"unsupported patch type {contentType}"));
        lock (_gate)
        {
            if (!_objects.TryGetValue(route.Item, out var deployment)) return (404, NotFound(route));
            var replicas = JsonNode.Parse(body)?["spec"]?["replicas"]?.GetValue<int>();
            if (replicas is null) return (422, StatusObject(422, "Invalid", "spec.replicas: Required value"));
            deployment["spec"]!["replicas"] = replicas;
            return (200, new JsonObject
            {
                ["apiVersion"] = "autoscaling/v1",
                ["kind"] = "Scale",
                ["metadata"] = new JsonObject { ["name"] = route.Name, ["namespace"] = route.Namespace },
                ["spec"] = new JsonObject { ["replicas"] = replicas },
                ["status"] = new JsonObject { ["replicas"] = deployment["status"]?["replicas"]?.GetValue<int>() ?? 0 },
            });
        }
    }

    private (int, JsonNode) Delete(Route route)
    {
        lock (_gate)
        {
            if (!_objects.Remove(route.Item)) return (404, NotFound(route));
            return (200, new JsonObject
            {
                ["kind"] = "Status",
                ["apiVersion"] = "v1",
                ["metadata"] = new JsonObject(),
                ["status"] = "Success",
                ["details"] = new JsonObject { ["name"] = route.Name, ["kind"] = route.Resource },
            });
        }
    }

    private JsonObject Stamp(JsonObject obj, string path)
    {
        var metadata = obj["metadata"] as JsonObject ?? new JsonObject();
        obj["metadata"] = metadata;
        metadata["uid"] ??= Guid.NewGuid().ToString();
        metadata["creationTimestamp"] ??= DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        metadata["resourceVersion"] = (++_version).ToString(CultureInfo.InvariantCulture);
        metadata["namespace"] ??= Route.Parse(path)?.Namespace;
        return obj;
    }

    private static bool IsPatchType(string? contentType) =>
        contentType is not null && (contentType.StartsWith("application/merge-patch+json", StringComparison.Ordinal)
            || contentType.StartsWith("application/strategic-merge-patch+json", StringComparison.Ordinal)
            || contentType.StartsWith("application/json-patch+json", StringComparison.Ordinal));

    /// <summary>RFC 7386: objects merge, null removes, anything else replaces.</summary>
    private static void MergePatch(JsonObject target, JsonObject patch)
    {
        foreach (var (key, value) in patch)
        {
            if (value is null) target.Remove(key);
            else if (value is JsonObject inner && target[key] is JsonObject existing) MergePatch(existing, inner);
            else target[key] = value.DeepClone();
        }
    }

    private static string VerbOf(string method, Route route) => method switch
    {
        "POST" => "create",
        "GET" when route.Name is null => "list",
        "GET" => "get",
        "PATCH" => "patch",
        "PUT" => "update",
        "DELETE" => "delete",
        _ => method.ToLowerInvariant(),
    };

    private static JsonObject NotFound(Route route) =>
        StatusObject(404, "NotFound", $"{route.Resource} \"{route.Name}\" not found", route.Name, route.Resource);

    private static JsonObject StatusObject(int code, string reason, string message, string? name = null, string? kind = null) => new()
    {
        ["kind"] = "Status",
        ["apiVersion"] = "v1",
        ["metadata"] = new JsonObject(),
        ["status"] = "Failure",
        ["message"] = message,
        ["reason"] = reason,
        ["details"] = name is null ? null : new JsonObject { ["name"] = name, ["kind"] = kind },
        ["code"] = code,
    };

    private static async Task Answer(HttpContext context, int code, JsonNode answer)
    {
        context.Response.StatusCode = code;
        if (answer is JsonValue value && value.TryGetValue<string>(out var text))
        {
            context.Response.ContentType = "text/plain";
            await context.Response.WriteAsync(text);
            return;
        }
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(answer.ToJsonString(new JsonSerializerOptions { WriteIndented = false }));
    }

    /// <summary>
    /// <c>/api/v1/namespaces/{ns}/{resource}[/{name}[/{sub}]]</c> or
    /// <c>/apis/{group}/{version}/namespaces/{ns}/{resource}[/{name}[/{sub}]]</c>.
    /// </summary>
    private sealed record Route(string Api, string Group, string Namespace, string Resource, string? Name, string? Subresource)
    {
        public string Collection => $"{Api}/namespaces/{Namespace}/{Resource}";

        public string Item => $"{Collection}/{Name}";

        public static Route? Parse(string path)
        {
            var segments = path.Trim('/').Split('/');
            int at;
            string group;
            if (segments.Length >= 4 && segments[0] == "api" && segments[2] == "namespaces") { at = 2; group = ""; }
            else if (segments.Length >= 5 && segments[0] == "apis" && segments[3] == "namespaces") { at = 3; group = segments[1]; }
            else return null;
            if (segments.Length < at + 3 || segments.Length > at + 5) return null;
            var api = "/" + string.Join('/', segments[..at]);
            return new Route(api, group, segments[at + 1], segments[at + 2],
                segments.Length > at + 3 ? WebUtility.UrlDecode(segments[at + 3]) : null,
                segments.Length > at + 4 ? segments[at + 4] : null);
        }
    }
}
