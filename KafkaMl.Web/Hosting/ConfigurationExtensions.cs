using KafkaMl.Core;
using Microsoft.Extensions.Options;

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

    /// <summary>
    /// <see cref="KafkaMlOptions"/> bound to the <c>KafkaMl</c> section and validated on start
    /// (<see cref="KafkaMlOptionsValidator"/>): once, however many parts of the host ask for it.
    /// </summary>
    public static IServiceCollection AddKafkaMlOptions(this IServiceCollection services)
    {
        if (services.Any(d => d.ServiceType == typeof(IValidateOptions<KafkaMlOptions>) && d.ImplementationType == typeof(KafkaMlOptionsValidator)))
            return services;
        services.AddOptions<KafkaMlOptions>().BindConfiguration(KafkaMlOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<KafkaMlOptions>, KafkaMlOptionsValidator>();
        return services;
    }
}
