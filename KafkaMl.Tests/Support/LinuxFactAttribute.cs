namespace KafkaMl.Tests.Support;

/// <summary>
/// A fact that needs Linux (<c>/proc</c>, <c>/bin/sh</c>, POSIX signals, ELF libraries); elsewhere it is reported as
/// skipped with the reason, never as a silent pass.
/// </summary>
public sealed class LinuxFactAttribute : FactAttribute
{
    public LinuxFactAttribute()
    {
        if (!OperatingSystem.IsLinux()) Skip = "needs Linux";
    }
}
