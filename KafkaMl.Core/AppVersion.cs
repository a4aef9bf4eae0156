using System.Reflection;

namespace KafkaMl.Core;

public static class AppVersion
{
    /// <summary>The informational version of KafkaMl.Core (without the source-revision suffix).</summary>
    public static string Current { get; } =
        (typeof(AppVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0")
        .Split('+')[0];
}
