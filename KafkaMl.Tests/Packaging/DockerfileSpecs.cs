using System.Text.RegularExpressions;
using k8s.Models;

// Folder Deployment/, namespace Production: a namespace named Deployment would hide the domain type.
namespace KafkaMl.Tests.Packaging;

/// <summary>
/// The Dockerfile's structure, since no Docker engine exists here to build it: an SDK build stage and an ASP.NET runtime
/// stage, a non-root user owning the data volume, a health check through the executable's own verb, the one executable
/// as entrypoint, and the same port and user as the Kubernetes manifests expect.
/// </summary>
public sealed partial class DockerfileSpecs(RenderedManifests k8s) : IClassFixture<RenderedManifests>
{
    private static readonly IReadOnlyList<(string Instruction, string Arguments)> Instructions = Parse(File.ReadAllText(Path.Combine(KafkaMlProcess.RepoRoot, "Dockerfile")));

    private static IEnumerable<string> All(string instruction) => Instructions.Where(i => i.Instruction == instruction).Select(i => i.Arguments);

    /// <summary>The instructions of the final (runtime) stage.</summary>
    private static IReadOnlyList<(string Instruction, string Arguments)> Runtime =>
        [.. Instructions.Skip(Instructions.Select((i, index) => (i, index)).Last(x => x.i.Instruction == "FROM").index)];

    private static Dictionary<string, string> Environment =>
        Runtime.Where(i => i.Instruction == "ENV")
            .SelectMany(i => EnvPair().Matches(i.Arguments).Select(m => KeyValuePair.Create(m.Groups[1].Value, m.Groups[2].Value)))
            .ToDictionary();

    [Fact]
    public void The_image_is_built_with_the_NET_10_SDK_and_runs_on_the_ASP_NET_10_runtime()
    {
        var stages = All("FROM").ToList();
        Assert.Equal(2, stages.Count);
        Assert.Matches(@"^mcr\.microsoft\.com/dotnet/sdk:10\.0(-\w+)? AS build$", stages[0]);
        Assert.Matches(@"^mcr\.microsoft\.com/dotnet/aspnet:10\.0(-\w+)? AS runtime$", stages[1]);
        Assert.Contains(Runtime, i => i is ("COPY", "--from=build /app ./"));
        Assert.Contains(All("RUN"), r => r.StartsWith("dotnet publish KafkaMl.Web/KafkaMl.Web.csproj -c Release -r linux-x64", StringComparison.Ordinal));
    }

    [Fact]
    public void Everything_the_build_copies_exists_and_is_not_excluded_by_dockerignore()
    {
        var ignored = File.ReadAllLines(Path.Combine(KafkaMlProcess.RepoRoot, ".dockerignore"))
            .Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
        var sources = All("COPY").Where(c => !c.StartsWith("--from", StringComparison.Ordinal))
            .SelectMany(c => c.Split(' ', StringSplitOptions.RemoveEmptyEntries)[..^1]).ToList();

        Assert.NotEmpty(sources);
        Assert.All(sources, source =>
        {
            Assert.True(File.Exists(Path.Combine(KafkaMlProcess.RepoRoot, source)) || Directory.Exists(Path.Combine(KafkaMlProcess.RepoRoot, source)), source);
            Assert.DoesNotContain(ignored, pattern => source.TrimEnd('/').Equals(pattern.TrimStart('/').TrimEnd('/'), StringComparison.Ordinal));
        });
        Assert.Contains("**/bin/", ignored);
        Assert.Contains("**/obj/", ignored);
    }

    [Fact]
    public void The_runtime_runs_as_the_non_root_app_user_which_owns_the_data_volume()
    {
        var user = Assert.Single(Runtime, i => i.Instruction == "USER").Arguments;
        Assert.Equal("app", user);
        var userIndex = Runtime.ToList().FindIndex(i => i.Instruction == "USER");
        Assert.Contains(Runtime.Take(userIndex), i => i is ("RUN", "mkdir -p /data && chown app:app /data"));
        Assert.Equal("/data", Assert.Single(Runtime, i => i.Instruction == "VOLUME").Arguments);
        Assert.Equal("/data", Environment["KafkaMl__DataDir"]);
        // The manifests run the portal and job pods as that user's id (1654 in the .NET images).
        Assert.Equal(1654, k8s.Get<V1Deployment>("kafkaml-portal").Spec.Template.Spec.SecurityContext.RunAsUser);
    }

    [Fact]
    public void The_entrypoint_is_the_one_executable_so_arguments_choose_the_verb()
    {
        var entrypoint = Exec(Assert.Single(Runtime, i => i.Instruction == "ENTRYPOINT").Arguments);
        Assert.Equal(["/app/KafkaMl.Web"], entrypoint); // the apphost dotnet publish writes for linux-x64
        Assert.Empty(All("CMD")); // no default verb: the portal
        // The Kubernetes runner passes the verb as the container's args and leaves the command alone.
        Assert.Equal("KafkaMl.Web", typeof(KafkaMl.Web.Cli.Verbs).Assembly.GetName().Name);
    }

    [Fact]
    public void The_portal_listens_on_every_interface_on_the_port_the_health_check_and_the_manifests_use()
    {
        var urls = new Uri(Environment["Urls"]);
        Assert.Equal("0.0.0.0", urls.Host);
        Assert.Contains(urls.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), Assert.Single(Runtime, i => i.Instruction == "EXPOSE").Arguments.Split(' '));
        Assert.Equal("0.0.0.0", Environment["KafkaMl__Kafka__EmbeddedBindAddress"]);

        var check = Assert.Single(Runtime, i => i.Instruction == "HEALTHCHECK").Arguments;
        var command = Exec(check[(check.IndexOf("CMD ", StringComparison.Ordinal) + 4)..]);
        Assert.Equal(["/app/KafkaMl.Web", "healthcheck", $"http://127.0.0.1:{urls.Port}/healthz"], command);
        Assert.Equal(urls.Port, Assert.Single(Assert.Single(k8s.Get<V1Deployment>("kafkaml-portal").Spec.Template.Spec.Containers).Ports).ContainerPort);
    }

    /// <summary>Instructions with line continuations joined and comments dropped.</summary>
    private static List<(string, string)> Parse(string dockerfile)
    {
        var joined = Regex.Replace(dockerfile, @"\\\r?\n(\s*#[^\n]*\n)*", " ");
        return [.. joined.Split('\n')
            .Select(l => l.Trim())
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l => (l.Split(' ', 2)[0].ToUpperInvariant(), Regex.Replace(l.Split(' ', 2).ElementAtOrDefault(1) ?? "", @"\s+", " ").Trim()))];
    }

    /// <summary>The exec form <c>["a", "b"]</c> as its arguments; the shell form fails the test (signals would not reach the executable).</summary>
    private static string[] Exec(string form)
    {
        Assert.StartsWith("[", form.TrimStart(), StringComparison.Ordinal);
        return System.Text.Json.JsonSerializer.Deserialize<string[]>(form)!;
    }

    [GeneratedRegex(@"(\w+)=(\S+)")]
    private static partial Regex EnvPair();
}
