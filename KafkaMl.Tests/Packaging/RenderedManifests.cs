using System.ComponentModel;
using System.Diagnostics;
using KafkaMl.Tests.Orchestration.Kubernetes;
using k8s.Models;
using k8s;

// Folder Deployment/, namespace Production: a namespace named Deployment would hide the domain type.
namespace KafkaMl.Tests.Packaging;

/// <summary>
/// <c>k8s/</c> as <c>kubectl kustomize k8s</c> renders it (offline), loaded strictly into KubernetesClient's typed models:
/// what <c>kubectl apply -k k8s/</c> would send. Rendered once per test class.
/// </summary>
public sealed class RenderedManifests
{
    public RenderedManifests()
    {
        Yaml = Render(Path.Combine(KafkaMlProcess.RepoRoot, "k8s"));
        Objects = KubernetesObjectChecks.LoadStrict(Yaml);
    }

    public string Yaml { get; }

    public IReadOnlyList<IKubernetesObject> Objects { get; }

    /// <summary>The one object of type <typeparamref name="T"/> named <paramref name="name"/>.</summary>
    public T Get<T>(string name)
        where T : IKubernetesObject<V1ObjectMeta> =>
        Assert.Single(Objects.OfType<T>(), o => o.Metadata.Name == name);

    public IEnumerable<T> All<T>() => Objects.OfType<T>();

    private static string Render(string directory)
    {
        var start = new ProcessStartInfo("kubectl", ["kustomize", directory])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException(
                "kubectl is not installed, so k8s/ cannot be rendered: run scripts/install-test-deps.sh (Debian package kubernetes-client).", e);
        }
        using (process)
        {
            var error = process.StandardError.ReadToEndAsync();
            var output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
                throw new InvalidOperationException($"kubectl kustomize {directory} failed ({process.ExitCode}): {error.Result}");
            return output;
        }
    }
}
