namespace KafkaMl.Tests.Scripting;

/// <summary>
/// The real KafkaMl executable as built next to these tests: <c>&lt;repo&gt;/KafkaMl.Web/bin/&lt;configuration&gt;/net10.0/KafkaMl.Web.dll</c>,
/// the configuration being the test assembly's own.
/// </summary>
internal static class KafkaMlExecutable
{
    public static string WebDll { get; } = Find();

    private static string Find()
    {
        // <repo>/KafkaMl.Tests/bin/<configuration>/<tfm>/
        var testOutput = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var framework = testOutput.Name;
        var configuration = testOutput.Parent?.Name ?? "Debug";
        var repository = testOutput;
        while (repository is not null && !File.Exists(Path.Combine(repository.FullName, "KafkaMl.sln")))
            repository = repository.Parent;
        if (repository is null)
            throw new InvalidOperationException($"No KafkaMl.sln above {AppContext.BaseDirectory}.");
        var dll = Path.Combine(repository.FullName, "KafkaMl.Web", "bin", configuration, framework, "KafkaMl.Web.dll");
        return File.Exists(dll)
            ? dll
            : throw new FileNotFoundException($"Build KafkaMl.Web ({configuration}) first: {dll} is missing.", dll);
    }
}
