namespace KafkaMl.Tests.Training;

public sealed class TorchNativeSpecs
{
    private const string Marker = "_ZSt21ios_base_library_initv";

    [Fact]
    public void A_missing_version_bound_only_to_a_link_time_marker_is_made_weak()
    {
        var plan = TorchNative.Plan(
            [Needs("libstdc++.so.6", "GLIBCXX_3.4.30"), Needs("libstdc++.so.6", "GLIBCXX_3.4.32")],
            Provides("GLIBCXX_3.4.30"),
            version => version == "GLIBCXX_3.4.32" ? [Marker] : ["_ZNSt6chrono3_V212system_clock3nowEv"]);

        Assert.Equal(["GLIBCXX_3.4.32"], plan.ToWeaken);
        Assert.Empty(plan.AlreadyWeak);
        Assert.Empty(plan.Unfixable);
    }

    [Fact]
    public void Nothing_is_patched_when_the_system_libstdcxx_provides_every_version()
    {
        var plan = TorchNative.Plan(
            [Needs("libstdc++.so.6", "GLIBCXX_3.4.30"), Needs("libstdc++.so.6", "GLIBCXX_3.4.32")],
            Provides("GLIBCXX_3.4.30", "GLIBCXX_3.4.32"),
            _ => [Marker]);

        Assert.Empty(plan.ToWeaken);
        Assert.Empty(plan.AlreadyWeak);
        Assert.Empty(plan.Unfixable);
    }

    [Fact]
    public void A_missing_version_that_real_functions_need_is_reported_not_patched()
    {
        var plan = TorchNative.Plan(
            [Needs("libstdc++.so.6", "GLIBCXX_3.4.33")],
            Provides("GLIBCXX_3.4.30"),
            _ => [Marker, "_ZSt10some_new_functionv"]);

        Assert.Empty(plan.ToWeaken);
        Assert.Equal(["GLIBCXX_3.4.33"], plan.Unfixable);
    }

    [Fact]
    public void A_missing_version_already_weak_counts_as_already_fixed()
    {
        var plan = TorchNative.Plan(
            [Needs("libstdc++.so.6", "GLIBCXX_3.4.32", ElfVersionPatcher.WeakFlag)],
            Provides("GLIBCXX_3.4.30"),
            _ => [Marker]);

        Assert.Empty(plan.ToWeaken);
        Assert.Equal(["GLIBCXX_3.4.32"], plan.AlreadyWeak);
    }

    [Fact]
    public void Versions_required_from_other_libraries_are_not_touched()
    {
        var plan = TorchNative.Plan([Needs("libc.so.6", "GLIBC_9.99")], Provides(), _ => []);

        Assert.Empty(plan.ToWeaken);
        Assert.Empty(plan.AlreadyWeak);
        Assert.Empty(plan.Unfixable);
    }

    [Fact]
    public void EnsureLoadable_is_idempotent_and_safe_to_call_from_many_threads()
    {
        Parallel.For(0, 16, _ => TorchNative.EnsureLoadable());
        var first = TorchNative.Status;

        TorchNative.EnsureLoadable();

        Assert.Same(first, TorchNative.Status);
        Assert.NotEqual(TorchNativeFix.Failed, first.Fix);
    }

    [LinuxFact]
    public void The_library_in_the_apps_runtimes_directory_is_among_those_checked()
    {
        var expected = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", TorchNative.LibraryFileName));

        Assert.Contains(expected, TorchNative.Status.Libraries);
    }

    [LinuxFact]
    public void After_EnsureLoadable_every_library_found_accepts_this_systems_libstdcxx()
    {
        TorchNative.EnsureLoadable();
        var libStdCxx = TorchNative.Status.LibStdCxx;
        Assert.NotNull(libStdCxx);
        var provided = ElfVersionPatcher.ReadDefinedVersions(libStdCxx).ToHashSet();

        foreach (var library in TorchNative.Status.Libraries)
        {
            var refused = ElfVersionPatcher.ReadRequiredVersions(library)
                .Where(r => r.Library.StartsWith("libstdc++") && !r.IsWeak && !provided.Contains(r.Version))
                .Select(r => r.Version);
            Assert.Empty(refused);
        }
    }

    [LinuxFact]
    public void The_fix_is_applied_exactly_when_the_system_libstdcxx_lacks_GLIBCXX_3_4_32()
    {
        var status = TorchNative.Status;
        var lacks = !ElfVersionPatcher.ReadDefinedVersions(status.LibStdCxx!).Contains("GLIBCXX_3.4.32");

        Assert.Equal(lacks, status.Fix is TorchNativeFix.Applied or TorchNativeFix.AlreadyApplied);
        Assert.Equal(lacks ? ["GLIBCXX_3.4.32"] : [], status.WeakVersions);
    }

    [Fact]
    public void Describe_names_the_TorchSharp_version_and_the_state_of_the_fix()
    {
        var description = TorchNative.Describe();

        Assert.StartsWith("TorchSharp 0.107.0", description);
        Assert.Matches("no patch needed|made weak|already weak|no native fix needed", description);
    }

    private static ElfVersionRequirement Needs(string library, string version, ushort flags = 0) =>
        new(library, version, flags, Index: 2, FlagsOffset: 0);

    private static HashSet<string> Provides(params string[] versions) => [.. versions];
}
