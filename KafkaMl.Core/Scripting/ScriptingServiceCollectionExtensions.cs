using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace KafkaMl.Core.Scripting;

public static class ScriptingServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="ModelScriptCompiler"/> (compile + sandbox, in process, cached) and
    /// <see cref="ModelScriptChecker"/> (build + dry run in a child process) as singletons. Their options can be
    /// configured or bound as usual; when no executable is configured the checker runs this process's own.
    /// </summary>
    public static IServiceCollection AddModelScripting(this IServiceCollection services)
    {
        services.AddOptions<ModelScriptCompilerOptions>();
        services.AddOptions<ModelScriptCheckerOptions>().PostConfigure(options =>
        {
            if (!string.IsNullOrWhiteSpace(options.ExecutablePath)) return;
            var current = ModelScriptCheckerOptions.ForCurrentProcess();
            options.ExecutablePath = current.ExecutablePath;
            options.DotnetPath ??= current.DotnetPath;
        });
        services.TryAddSingleton(sp => new ModelScriptCompiler(sp.GetRequiredService<IOptions<ModelScriptCompilerOptions>>().Value));
        services.TryAddSingleton(sp => new ModelScriptChecker(sp.GetRequiredService<IOptions<ModelScriptCheckerOptions>>().Value));
        return services;
    }
}
