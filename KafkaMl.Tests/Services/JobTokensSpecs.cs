using KafkaMl.Core;

namespace KafkaMl.Tests.Services;

public sealed class JobTokensSpecs : IDisposable
{
    private readonly string dataDir = Directory.CreateTempSubdirectory("kafkaml-tokens-").FullName;

    public void Dispose() => Directory.Delete(dataDir, recursive: true);

    private JobTokens Tokens(string? secret = null) => new(
        Options.Create(new KafkaMlOptions { DataDir = dataDir }),
        Options.Create(new OrchestrationOptions { JobTokenSecret = secret }));

    [Fact]
    public void A_token_is_valid_for_its_own_result_only()
    {
        var tokens = Tokens();

        var token = tokens.ForTraining(1);

        Assert.True(tokens.IsValidForTraining(1, token));
        Assert.False(tokens.IsValidForTraining(2, token));
        Assert.False(tokens.IsValidForTraining(1, token[..^1]));
        Assert.False(tokens.IsValidForTraining(1, ""));
        Assert.False(tokens.IsValidForTraining(1, null));
    }

    [Fact]
    public void The_generated_secret_is_kept_in_the_data_directory_readable_by_the_owner_only()
    {
        Tokens().ForTraining(1);

        var file = Path.Combine(dataDir, JobTokens.SecretFileName);
        Assert.True(File.Exists(file));
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
    }

    [Fact]
    public void Tokens_survive_a_portal_restart()
    {
        var before = Tokens().ForTraining(5);

        var after = Tokens();

        Assert.True(after.IsValidForTraining(5, before));
    }

    [Fact]
    public void A_configured_secret_is_used_instead_of_the_file_and_gives_other_tokens()
    {
        var fromFile = Tokens().ForTraining(3);

        var configured = Tokens("a-long-enough-shared-secret");

        Assert.False(configured.IsValidForTraining(3, fromFile));
        Assert.True(Tokens("a-long-enough-shared-secret").IsValidForTraining(3, configured.ForTraining(3)));
    }

    [Fact]
    public void A_configured_secret_shorter_than_16_characters_is_refused()
    {
        var tokens = Tokens("short");

        var error = Assert.Throws<InvalidOperationException>(() => tokens.ForTraining(1));
        Assert.Contains("KafkaMl:JobTokenSecret", error.Message);
    }
}
