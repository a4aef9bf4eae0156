namespace KafkaMl.Tests.Training;

public sealed class ElfVersionPatcherSpecs : IDisposable
{
    private readonly LibTorchSharpCopy _library = LibTorchSharpCopy.AsShipped();
    private int _scratchFiles;

    public void Dispose() => _library.Dispose(); // removes the scratch files too

    [Fact]
    public void LibTorchSharp_requires_GLIBCXX_3_4_32_from_libstdcxx_and_ships_it_strong()
    {
        var requirements = ElfVersionPatcher.ReadRequiredVersions(_library.Path);

        var marker = Assert.Single(requirements, r => r.Version == LibTorchSharpCopy.MarkerVersion);
        Assert.Equal("libstdc++.so.6", marker.Library);
        Assert.False(marker.IsWeak);
        Assert.Contains(requirements, r => r.Version == "GLIBC_2.2.5" && r.Library == "libc.so.6");
    }

    [Fact]
    public void Only_the_ios_base_library_init_marker_is_bound_to_GLIBCXX_3_4_32()
    {
        var symbols = ElfVersionPatcher.ReadSymbolsRequiring(_library.Path, LibTorchSharpCopy.MarkerVersion);

        Assert.Equal(["_ZSt21ios_base_library_initv"], symbols);
    }

    [Fact]
    public void Marking_a_version_weak_sets_its_flag_and_reports_a_change()
    {
        var changed = ElfVersionPatcher.MarkVersionWeak(_library.Path, LibTorchSharpCopy.MarkerVersion);

        Assert.True(changed);
        var marker = ElfVersionPatcher.ReadRequiredVersions(_library.Path).Single(r => r.Version == LibTorchSharpCopy.MarkerVersion);
        Assert.True(marker.IsWeak);
    }

    [Fact]
    public void Marking_a_version_weak_twice_changes_nothing_the_second_time()
    {
        ElfVersionPatcher.MarkVersionWeak(_library.Path, LibTorchSharpCopy.MarkerVersion);
        var afterFirst = _library.ReadAllBytes();

        var changed = ElfVersionPatcher.MarkVersionWeak(_library.Path, LibTorchSharpCopy.MarkerVersion);

        Assert.False(changed);
        Assert.Equal(afterFirst, _library.ReadAllBytes());
    }

    [Fact]
    public void Marking_a_version_weak_changes_only_its_two_byte_flag_field()
    {
        var before = _library.ReadAllBytes();
        var field = ElfVersionPatcher.ReadRequiredVersions(_library.Path).Single(r => r.Version == LibTorchSharpCopy.MarkerVersion).FlagsOffset;

        ElfVersionPatcher.MarkVersionWeak(_library.Path, LibTorchSharpCopy.MarkerVersion);

        var after = _library.ReadAllBytes();
        Assert.Equal(before.Length, after.Length);
        var differing = Enumerable.Range(0, before.Length).Where(i => before[i] != after[i]).ToArray();
        Assert.NotEmpty(differing);
        Assert.All(differing, i => Assert.InRange(i, field, field + 1));
        Assert.Equal(ElfVersionPatcher.WeakFlag, (ushort)(after[field] | after[field + 1] << 8) & ElfVersionPatcher.WeakFlag);
    }

    [Fact]
    public void Marking_a_version_weak_leaves_every_other_requirement_as_it_was()
    {
        var before = ElfVersionPatcher.ReadRequiredVersions(_library.Path);

        ElfVersionPatcher.MarkVersionWeak(_library.Path, LibTorchSharpCopy.MarkerVersion);

        var after = ElfVersionPatcher.ReadRequiredVersions(_library.Path);
        Assert.Equal(
            before.Where(r => r.Version != LibTorchSharpCopy.MarkerVersion),
            after.Where(r => r.Version != LibTorchSharpCopy.MarkerVersion));
    }

    [Fact]
    public void A_read_only_library_is_replaced_by_a_patched_copy_with_the_same_permissions()
    {
        var before = _library.ReadAllBytes();
        var field = ElfVersionPatcher.ReadRequiredVersions(_library.Path).Single(r => r.Version == LibTorchSharpCopy.MarkerVersion).FlagsOffset;
        var mode = OperatingSystem.IsWindows() ? default : File.GetUnixFileMode(_library.Path);

        var changed = ElfVersionPatcher.MarkVersionWeak(_library.Path, LibTorchSharpCopy.MarkerVersion, replaceFile: true);

        Assert.True(changed);
        var after = _library.ReadAllBytes();
        Assert.All(Enumerable.Range(0, before.Length).Where(i => before[i] != after[i]), i => Assert.InRange(i, field, field + 1));
        Assert.True(ElfVersionPatcher.ReadRequiredVersions(_library.Path).Single(r => r.Version == LibTorchSharpCopy.MarkerVersion).IsWeak);
        if (!OperatingSystem.IsWindows()) Assert.Equal(mode, File.GetUnixFileMode(_library.Path));
        Assert.Equal([_library.Path], Directory.GetFiles(_library.Directory)); // no temporary file left behind
    }

    [Fact]
    public void A_version_the_library_does_not_require_is_left_alone()
    {
        var before = _library.ReadAllBytes();

        var changed = ElfVersionPatcher.MarkVersionWeak(_library.Path, "GLIBCXX_99.0");

        Assert.False(changed);
        Assert.Equal(before, _library.ReadAllBytes());
    }

    [LinuxFact]
    public void A_libstdcxx_lists_the_versions_it_defines()
    {
        var libStdCxx = TorchNative.FindLibStdCxx();
        Assert.NotNull(libStdCxx);

        var defined = ElfVersionPatcher.ReadDefinedVersions(libStdCxx);

        Assert.Contains("GLIBCXX_3.4", defined);
        Assert.Contains("CXXABI_1.3", defined);
    }

    [Fact]
    public void A_file_that_is_not_ELF_is_reported_as_such_and_left_unchanged()
    {
        var text = Scratch("not an ELF file, just text\n"u8.ToArray());

        var error = Assert.Throws<ElfFormatException>(() => ElfVersionPatcher.MarkVersionWeak(text, LibTorchSharpCopy.MarkerVersion));

        Assert.Contains("not an ELF file", error.Message);
        Assert.Equal("not an ELF file, just text\n"u8.ToArray(), File.ReadAllBytes(text));
    }

    [Fact]
    public void An_empty_file_is_reported_as_not_ELF()
    {
        var empty = Scratch([]);

        var error = Assert.Throws<ElfFormatException>(() => ElfVersionPatcher.ReadRequiredVersions(empty));

        Assert.Contains("not an ELF file", error.Message);
    }

    [Fact]
    public void A_truncated_library_is_reported_as_malformed_rather_than_crashing()
    {
        var truncated = Scratch(_library.ReadAllBytes()[..4096]);

        var error = Assert.Throws<ElfFormatException>(() => ElfVersionPatcher.MarkVersionWeak(truncated, LibTorchSharpCopy.MarkerVersion));

        Assert.Contains("not a well-formed ELF64", error.Message);
    }

    private string Scratch(byte[] content)
    {
        var path = Path.Combine(_library.Directory, $"scratch-{_scratchFiles++}.so");
        File.WriteAllBytes(path, content);
        return path;
    }
}
