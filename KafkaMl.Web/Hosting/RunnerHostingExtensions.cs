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
            services.AddRunner<KubernetesJobRunner, KubernetesJobRunnerOptions, KubernetesJobRunnerOptionsValidator>(KubernetesJobRunnerOptions.Section);
        else // any other value is reported by KafkaMlOptionsValidator on start
            services.AddRunner<LocalJobRunner, LocalJobRunnerOptions, LocalJobRunnerOptionsValidator>(LocalJobRunnerOptions.Section);
        return builder;
    }

    /// <summary>One runner as the <see cref="IJobRunner"/> singleton, its options bound from <paramref name="section"/> and validated on start.</summary>
    private static void AddRunner<TRunner, TOptions, TValidator>(this IServiceCollection services, string section)
        where TRunner : class, IJobRunner
        where TOptions : class
        where TValidator : class, IValidateOptions<TOptions>
    {
        services.AddOptions<TOptions>().BindConfiguration(section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<TOptions>, TValidator>();
        services.AddSingleton<TRunner>();
        services.AddSingleton<IJobRunner>(sp => sp.GetRequiredService<TRunner>());
    }
}
