using KafkaMl.Core.Orchestration.Kubernetes;
using KafkaMl.Core.Orchestration.Local;
using KafkaMl.Web.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace KafkaMl.Tests.Hosting;

/// <summary><c>AddKafkaMlRunner</c> registers the runner that <c>KafkaMl:Runner</c> names, with its options bound and validated.</summary>
public sealed class RunnerHostingSpecs : IDisposable
{
    private readonly string _dataDir = Directory.CreateTempSubdirectory("kafkaml-hosting-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dataDir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task Without_a_runner_setting_jobs_run_locally_under_the_data_directory()
    {
        await using var services = Build(new Dictionary<string, string?>());

        var runner = Assert.IsType<LocalJobRunner>(services.GetRequiredService<IJobRunner>());

        Assert.Equal("local", runner.Kind);
        Assert.Equal(Path.Combine(_dataDir, "jobs"), runner.JobsDirectory);
        Assert.Same(runner, services.GetRequiredService<LocalJobRunner>());
    }

    [Fact]
    public async Task The_local_section_configures_the_local_runner()
    {
        await using var services = Build(new Dictionary<string, string?>
        {
            ["KafkaMl:Local:StopGracePeriod"] = "00:00:03",
            ["KafkaMl:Local:LogFileMaxBytes"] = "65536",
        });

        var options = services.GetRequiredService<IOptions<LocalJobRunnerOptions>>().Value;

        Assert.Equal(TimeSpan.FromSeconds(3), options.StopGracePeriod);
        Assert.Equal(65536, options.LogFileMaxBytes);
    }

    [Fact]
    public async Task Runner_kubernetes_chooses_the_Kubernetes_runner_configured_by_its_section()
    {
        await using var services = Build(new Dictionary<string, string?>
        {
            ["KafkaMl:Runner"] = "Kubernetes",
            ["KafkaMl:Kubernetes:Host"] = "http://127.0.0.1:1",
            ["KafkaMl:Kubernetes:Namespace"] = "ml-team",
            ["KafkaMl:Kubernetes:Image"] = "registry.example.com/kafkaml:1.0",
            ["KafkaMl:Kubernetes:TtlSecondsAfterFinished"] = "120",
            ["KafkaMl:Kubernetes:SecretVariables:0"] = "KafkaMl__Kafka__SslKeyPem",
        });

        var runner = Assert.IsType<KubernetesJobRunner>(services.GetRequiredService<IJobRunner>());
        var options = services.GetRequiredService<IOptions<KubernetesJobRunnerOptions>>().Value;

        Assert.Equal("kubernetes", runner.Kind);
        Assert.Equal("ml-team", runner.Namespace);
        Assert.Equal(120, options.TtlSecondsAfterFinished);
        Assert.True(options.IsSecretVariable("KafkaMl__Kafka__SslKeyPem"));
        Assert.True(options.IsSecretVariable("KafkaMl__Kafka__SaslPassword"));
        Assert.False(options.IsSecretVariable("KafkaMl__Kafka__BootstrapServers"));
    }

    [Fact]
    public async Task The_Kubernetes_runner_refuses_to_start_without_an_image()
    {
        await using var services = Build(new Dictionary<string, string?> { ["KafkaMl:Runner"] = "kubernetes" });

        var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<KubernetesJobRunnerOptions>>().Value);

        Assert.Contains("KafkaMl:Kubernetes:Image", error.Message);
    }

    private ServiceProvider Build(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["KafkaMl:DataDir"] = _dataDir });
        builder.AddKafkaMlRunner();
        return builder.Services.BuildServiceProvider();
    }
}
