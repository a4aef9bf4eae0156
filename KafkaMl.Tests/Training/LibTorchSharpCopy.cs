namespace KafkaMl.Tests.Training;

/// <summary>
/// Test-data builder: a private copy of the real <c>libLibTorchSharp.so</c> in its own temporary directory,
/// restored to the state it ships in (GLIBCXX_3.4.32 not weak) whatever this process already did to the
/// application's copy. Deleted on dispose.
/// </summary>
internal sealed class LibTorchSharpCopy : IDisposable
{
    public const string MarkerVersion = "GLIBCXX_3.4.32";

    private LibTorchSharpCopy(string directory, string path)
    {
        Directory = directory;
        Path = path;
    }

    public string Directory { get; }

    public string Path { get; }

    /// <summary>A copy as shipped in the TorchSharp package.</summary>
    public static LibTorchSharpCopy AsShipped()
    {
        var source = FindOriginal();
        var directory = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"kafkaml-torchnative-{Guid.NewGuid():N}");
        System.IO.Directory.CreateDirectory(directory);
        var path = System.IO.Path.Combine(directory, TorchNative.LibraryFileName);
        File.Copy(source, path);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(path, File.GetUnixFileMode(path) | UnixFileMode.UserWrite);

        // The module initializer may already have patched the application's copy: clear the weak bit again.
        var marker = ElfVersionPatcher.ReadRequiredVersions(path).Single(r => r.Version == MarkerVersion);
        if (marker.IsWeak)
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
            stream.Position = marker.FlagsOffset;
            var flags = (ushort)(marker.Flags & ~ElfVersionPatcher.WeakFlag);
            stream.Write([(byte)flags, (byte)(flags >> 8)]);
        }
        return new LibTorchSharpCopy(directory, path);
    }

    public byte[] ReadAllBytes() => File.ReadAllBytes(Path);

    public void Dispose()
    {
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static string FindOriginal()
    {
        var candidates = new[]
        {
            System.IO.Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", TorchNative.LibraryFileName),
            System.IO.Path.Combine(AppContext.BaseDirectory, TorchNative.LibraryFileName),
        };
        return candidates.FirstOrDefault(File.Exists)
            ?? throw new FileNotFoundException($"{TorchNative.LibraryFileName} is not in the test output: {string.Join(", ", candidates)}");
    }
}
