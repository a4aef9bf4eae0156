using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using KafkaMl.Core;
using KafkaMl.Core.Orchestration;
using KafkaMl.Web.Apis;
using Microsoft.Extensions.Options;

namespace KafkaMl.Web.Services;

/// <summary>What a job token opens: one training result's reports, or one inference's spec, weights and stats.</summary>
public enum JobScope
{
    Training,
    Inference,
}

/// <summary>
/// The tokens workloads present to the portal (<see cref="KafkaMl.Core.Orchestration.JobEnvironment.TokenHeader"/>):
/// HMAC-SHA256 of <c>training:{resultId}</c> or <c>inference:{inferenceId}</c> under a portal secret, so a token
/// opens its own workload's endpoints only (a training token never opens an inference's, nor the reverse) and
/// nothing needs storing per job. The secret comes from <c>KafkaMl:JobTokenSecret</c>, else from
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
    public string ForTraining(int resultId) => For(JobScope.Training, resultId);

    /// <summary>The token every replica of inference <paramref name="inferenceId"/> carries (URL-safe base64).</summary>
    public string ForInference(int inferenceId) => For(JobScope.Inference, inferenceId);

    /// <summary>True when <paramref name="token"/> is the token of result <paramref name="resultId"/>; compared in constant time.</summary>
    public bool IsValidForTraining(int resultId, string? token) => IsValid(JobScope.Training, resultId, token);

    /// <summary>The token of workload <paramref name="id"/> of <paramref name="scope"/>.</summary>
    public string For(JobScope scope, int id) =>
        Convert.ToBase64String(Mac(scope, id)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>True when <paramref name="token"/> is the token of workload <paramref name="id"/> of <paramref name="scope"/>; compared in constant time.</summary>
    public bool IsValid(JobScope scope, int id, string? token)
    {
        if (string.IsNullOrEmpty(token)) return false;
        var expected = Encoding.ASCII.GetBytes(For(scope, id));
        var given = Encoding.UTF8.GetBytes(token.Trim());
        return CryptographicOperations.FixedTimeEquals(expected, given);
    }

    private byte[] Mac(JobScope scope, int id)
    {
        var prefix = scope == JobScope.Training ? "training" : "inference";
        return HMACSHA256.HashData(secret.Value, Encoding.UTF8.GetBytes(FormattableString.Invariant($"{prefix}:{id}")));
    }

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

/// <summary>
/// Admits a workload's request only with the token of the workload named in its route (<paramref name="routeKey"/>):
/// 401 without a token, 403 with one of another workload or scope. The token is never logged nor echoed.
/// </summary>
public sealed class JobTokenFilter(JobScope scope, string routeKey) : IEndpointFilter
{
    /// <summary>
    /// The routes a workload of <paramref name="scope"/> calls, <c>/api/jobs/&lt;scope&gt;/{<paramref name="routeKey"/>}</c>,
    /// tagged <paramref name="tag"/>, answering problem details, each request admitted by its token.
    /// </summary>
    public static RouteGroupBuilder MapGroup(IEndpointRouteBuilder app, JobScope scope, string routeKey, string tag) =>
        app.MapGroup($"/api/jobs/{scope.ToString().ToLowerInvariant()}/{{{routeKey}:int}}")
            .WithTags(tag)
            .WithProblemJson()
            .AddEndpointFilter(new JobTokenFilter(scope, routeKey));

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var what = scope == JobScope.Training ? "Training job reports" : "Inference replicas' requests";
        var token = http.Request.Headers[JobEnvironment.TokenHeader].ToString();
        if (string.IsNullOrWhiteSpace(token))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized",
                detail: $"{what} need the job's token in the {JobEnvironment.TokenHeader} header.");
        }
        var tokens = http.RequestServices.GetRequiredService<JobTokens>();
        if (!int.TryParse(http.Request.RouteValues[routeKey]?.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var id)
            || !tokens.IsValid(scope, id, token))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden",
                detail: scope == JobScope.Training ? "This token does not authorise reports on this result." : "This token does not open this inference.");
        }
        return await next(context);
    }
}
