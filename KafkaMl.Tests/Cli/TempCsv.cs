namespace KafkaMl.Tests.Cli;

/// <summary>A CSV file in the temp directory, deleted on dispose.</summary>
internal sealed class TempCsv : IDisposable
{
    private TempCsv(string path) => Path = path;

    public string Path { get; }

    public static TempCsv With(string content)
    {
        var path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"kafkaml-cli-{Guid.NewGuid():N}.csv");
        File.WriteAllText(path, content);
        return new TempCsv(path);
    }

    public void Dispose() => File.Delete(Path);
}
