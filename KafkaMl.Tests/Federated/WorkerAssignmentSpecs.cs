using KafkaMl.Core.Federated;
using KafkaMl.Web.Cli;

namespace KafkaMl.Tests.Federated;

/// <summary>What an agent hands the worker process it starts: written owner-only, read back whole, deleted once read.</summary>
public sealed class WorkerAssignmentSpecs : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("kafkaml-assignment-").FullName;

    private static readonly SiteOptions Site = new("clinic-a", "cloud:9092", "site:9092")
    {
        KafkaSettings = new Dictionary<string, string> { ["sasl.password"] = "secret" },
        TorchThreads = 2,
        MissingDataTimeout = TimeSpan.FromSeconds(12),
    };

    private string Written()
    {
        var path = Path.Combine(directory, "result-4.json");
        WorkerAssignment.For(Site, MatchingSpecs.Model, MatchingSpecs.Dataset(1200, "4", """{"source": "clinic", "unit": "mg"}""")).Write(path);
        return path;
    }

    [Fact]
    public void The_worker_reads_back_the_site_the_model_and_the_dataset_and_deletes_the_file()
    {
        var path = Written();

        var read = FederatedWorkerVerb.Request(CliOptions.Parse(["--result", "4", "--assignment", path], ["--result", "--assignment"], []));

        Assert.Equal(Site with { KafkaLogger = null }, read.Options() with { KafkaSettings = Site.KafkaSettings });
        Assert.Equal("secret", read.Options().KafkaSettings!["sasl.password"]);
        Assert.Equal(MatchingSpecs.Model.ToUtf8Json(), read.Model.ToUtf8Json());
        var dataset = read.Dataset();
        Assert.Equal(("k", "site-data", 1200L), (dataset.Key, dataset.Control.Topic.Split(':')[0], dataset.Samples!.Value));
        Assert.Null(DatasetMatcher.Mismatch(read.Model, dataset));
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void The_file_is_readable_by_its_owner_only_as_it_may_hold_credentials()
    {
        var path = Written();

        Assert.True(File.Exists(path));
        if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
    }

    [Fact]
    public void An_assignment_of_another_result_than_the_command_line_names_is_refused()
    {
        var error = Assert.Throws<CliUsageException>(() =>
            FederatedWorkerVerb.Request(CliOptions.Parse(["--result", "5", "--assignment", Written()], ["--result", "--assignment"], [])));

        Assert.Contains("does not match the assignment (result 4)", error.Message);
    }

    public void Dispose() => Directory.Delete(directory, recursive: true);
}
