using KafkaMl.Web.Cli;

namespace KafkaMl.Tests.Support;

/// <summary>One <c>KafkaMl.Web broker --port 0</c> child process, shared by a collection.</summary>
public sealed class BrokerProcessFixture : IAsyncLifetime
{
    /// <summary>Pre-created by the verb (<c>--topic</c>) with the default 4 partitions.</summary>
    public const string SharedTopic = "spread-over-the-group";

    public KafkaMlProcess Process { get; private set; } = null!;

    public string BootstrapServers { get; private set; } = "";

    public async Task InitializeAsync()
    {
        Process = KafkaMlProcess.Start(["broker", "--port", "0", "--topic", SharedTopic]);
        var ready = await Process.WaitForLineAsync(
            line => line.StartsWith(BrokerVerb.ReadyLinePrefix, StringComparison.Ordinal), Eventually.Patience, OutputStream.Stdout);
        BootstrapServers = ready[BrokerVerb.ReadyLinePrefix.Length..];
    }

    public async Task DisposeAsync()
    {
        if (Process is null) return;
        try
        {
            await Process.StopAsync(TimeSpan.FromSeconds(15));
        }
        finally
        {
            Process.Dispose();
        }
    }
}
