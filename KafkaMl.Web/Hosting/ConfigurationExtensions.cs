using KafkaMl.Core;

namespace KafkaMl.Web.Hosting;

public static class ConfigurationExtensions
{
    /// <summary>
    /// The <c>KafkaMl</c> section as read while the host is being built (before <c>IOptions</c> exists),
    /// with the data directory created; the one place composition code reads its settings from.
    /// </summary>
    public static KafkaMlOptions GetKafkaMlOptions(this IConfiguration configuration)
    {
        var options = configuration.GetSection(KafkaMlOptions.Section).Get<KafkaMlOptions>() ?? new();
        if (string.IsNullOrWhiteSpace(options.DataDir)) options.DataDir = new KafkaMlOptions().DataDir;
        Directory.CreateDirectory(options.DataDirFullPath);
        return options;
    }
}
