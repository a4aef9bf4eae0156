namespace KafkaMl.Web.Cli.Bench;

/// <summary>The Kafka-ML paper's HCOPD example the benchmarks measure with: its model and its data file.</summary>
internal static class Hcopd
{
    /// <summary>The paper's model (Kafka-ML's COPD example): dropout 0.2 → dense 4 sigmoid → dense 2.</summary>
    public const string Script = """Sequential(("drop", Dropout(0.2)), ("fc1", Linear(3, 4)), ("sig", Sigmoid()), ("fc2", Linear(4, 2)))""";

    /// <summary>The sample's label column.</summary>
    public const string Label = "Diagnosis";

    /// <summary>Where the repository keeps the sample, relative to its root.</summary>
    public static readonly string DefaultCsv = Path.Combine("samples", "hcopd", "hcopd.csv");

    /// <summary>
    /// The file at <paramref name="path"/>, looked up from the current directory and its parents, then from the
    /// executable's directory and its parents (<c>dotnet run</c> starts in the project directory, a test in its
    /// output directory); null when it is nowhere.
    /// </summary>
    public static string? Find(string path)
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, path))) return Path.Combine(dir.FullName, path);
        return null;
    }
}
