using System.Runtime.CompilerServices;

namespace KafkaMl.Tests.Training;

/// <summary>
/// Tests may use TorchSharp before touching any KafkaMl.Core type (whose module initializer applies the fix):
/// make the test assembly apply it first too.
/// </summary>
internal static class TorchNativeForTests
{
    [ModuleInitializer]
    internal static void ApplyBeforeAnyTest() => _ = TorchNative.Status;
}
