using KafkaMl.Core;
using KafkaMl.Core.Orchestration;
using KafkaMl.Core.Orchestration.Kubernetes;
using KafkaMl.Core.Orchestration.Local;
using Microsoft.Extensions.Options;

namespace KafkaMl.Web.Hosting;

public static class RunnerHostingExtensions
{
    /// <summary>
    /// The <see cref="IJobRunner"/> singleton that <c>KafkaMl:Runner</c> chooses: <c>local</c> (default; child
    /// processes, options from <c>KafkaMl:Local</c>) or <c>kubernetes</c> (Jobs and Deployments, options from
    /// <c>KafkaMl:Kubernetes</c>, which must name the image). Options are validated on start.
    /// </summary>
    public static IHostApplicationBuilder AddKafkaMlRunner(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<KafkaMlOptions>().BindConfiguration(KafkaMlOptions.Section);

        if (string.Equals(builder.Configuration.GetKafkaMlOptions().Runner, "kubernetes", StringComparison.OrdinalIgnoreCase))
        {
            services.AddOptions<KubernetesJobRunnerOptions>().BindConfiguration(KubernetesJobRunnerOptions.Section).ValidateOnStart();
            services.AddSingleton<IValidateOptions<KubernetesJobRunnerOptions>, KubernetesJobRunnerOptionsValidator>();
            services.AddSingleton<KubernetesJobRunner>();
            services.AddSingleton<IJobRunner>(sp => sp.GetRequiredService<KubernetesJobRunner>());
            return builder;
        }

        // Any other value is reported by KafkaMlOptionsValidator on start.
        services.AddOptions<LocalJobRunnerOptions>().BindConfiguration(LocalJobRunnerOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<LocalJobRunnerOptions>, LocalJobRunnerOptionsValidator>();
        services.AddSingleton<LocalJobRunner>();
        services.AddSingleton<IJobRunner>(sp => sp.GetRequiredService<LocalJobRunner>());
        return builder;
    }
}
