using System.Security.Cryptography;
using System.Text;
using KafkaMl.Core;
using Microsoft.Extensions.Options;

namespace KafkaMl.Web.Services;

/// <summary>
/// The tokens training jobs present on their reports (<see cref="KafkaMl.Core.Orchestration.JobEnvironment.TokenHeader"/>):
/// HMAC-SHA256 of <c>training:{resultId}</c> under a portal secret, so a token authorises reports on its own
/// result only and nothing needs storing per job. The secret comes from <c>KafkaMl:JobTokenSecret</c>, else from
/// <c>&lt;DataDir&gt;/job-token.key</c> (generated on first use, mode 0600). Tokens and the secret are never logged.
/// </summary>
public sealed class JobTokens
{
    public const string SecretFileName = "job-token.key";
    private const int MinSecretLength = 16;

    private readonly Lazy<byte[]> secret;

    public JobTokens(IOptions<KafkaMlOptions> kafkaMl, IOptions<OrchestrationOptions> orchestration)
    {
        var configured = orchestration.Value.JobTokenSecret;
        var file = Path.Combine(kafkaMl.Value.DataDirFullPath, SecretFileName);
        secret = new Lazy<byte[]>(() => string.IsNullOrEmpty(configured) ? LoadOrCreate(file) : FromConfiguration(configured));
    }

    /// <summary>The token of the training job of result <paramref name="resultId"/> (URL-safe base64).</summary>
    public string ForTraining(int resultId) =>
        Convert.ToBase64String(Mac(resultId)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>True when <paramref name="token"/> is the token of result <paramref name="resultId"/>; compared in constant time.</summary>
    public bool IsValidForTraining(int resultId, string? token)
    {
        if (string.IsNullOrEmpty(token)) return false;
        var expected = Encoding.ASCII.GetBytes(ForTraining(resultId));
        var given = Encoding.UTF8.GetBytes(token.Trim());
        return CryptographicOperations.FixedTimeEquals(expected, given);
    }

    private byte[] Mac(int resultId) =>
        HMACSHA256.HashData(secret.Value, Encoding.UTF8.GetBytes(FormattableString.Invariant($"training:{resultId}")));

    private static byte[] FromConfiguration(string configured)
    {
        if (configured.Length < MinSecretLength)
            throw new InvalidOperationException($"KafkaMl:JobTokenSecret must have at least {MinSecretLength} characters.");
        return Encoding.UTF8.GetBytes(configured);
    }

    /// <summary>Reads the secret file, creating it (32 random bytes, owner read/write only) when it does not exist.</summary>
    private static byte[] LoadOrCreate(string path)
    {
        for (var attempt = 0; ; attempt++)
        {
            if (File.Exists(path))
            {
                if (!OperatingSystem.IsWindows()
                    && (File.GetUnixFileMode(path) & ~(UnixFileMode.UserRead | UnixFileMode.UserWrite)) != 0)
                {
                    File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                }
                var text = File.ReadAllText(path).Trim();
                if (text.Length > 0) return Convert.FromBase64String(text);
                if (attempt > 3) throw new InvalidOperationException($"The job token secret file {path} is empty; delete it to have a new one generated.");
                Thread.Sleep(50); // another process is writing it right now
                continue;
            }

            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            var key = RandomNumberGenerator.GetBytes(32);
            try
            {
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                using var stream = new FileStream(path, options);
                using var writer = new StreamWriter(stream, Encoding.ASCII);
                writer.Write(Convert.ToBase64String(key));
                return key;
            }
            catch (IOException) when (File.Exists(path) && attempt < 3)
            {
                // Another process created it first: read theirs.
            }
        }
    }
}
