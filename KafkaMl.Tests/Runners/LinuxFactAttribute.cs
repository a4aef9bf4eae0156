namespace KafkaMl.Tests.Runners;

/// <summary>A fact that needs Linux (<c>/proc</c>, <c>/bin/sh</c>, POSIX signals); skipped elsewhere.</summary>
public sealed class LinuxFactAttribute : FactAttribute
{
    public LinuxFactAttribute()
    {
        if (!OperatingSystem.IsLinux()) Skip = "needs Linux";
    }
}
