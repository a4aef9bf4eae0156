using System.Buffers.Binary;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace KafkaMl.Core.Training;

/// <summary>One <c>Vernaux</c> entry of an ELF file's <c>.gnu.version_r</c>: a symbol version the file needs from a library.</summary>
/// <param name="Library">The needed library's file name, e.g. <c>libstdc++.so.6</c>.</param>
/// <param name="Version">The version name, e.g. <c>GLIBCXX_3.4.32</c>.</param>
/// <param name="Flags">The entry's <c>vna_flags</c>.</param>
/// <param name="Index">The entry's <c>vna_other</c>: the index symbols use in <c>.gnu.version</c> to refer to it.</param>
/// <param name="FlagsOffset">Where in the file the 2-byte <c>vna_flags</c> field lives.</param>
public sealed record ElfVersionRequirement(string Library, string Version, ushort Flags, ushort Index, long FlagsOffset)
{
    /// <summary>
    /// Whether the entry carries <c>VER_FLG_WEAK</c>: the dynamic loader then accepts a library that lacks the
    /// version instead of refusing to load.
    /// </summary>
    public bool IsWeak => (Flags & ElfVersionPatcher.WeakFlag) != 0;
}

/// <summary>The file is not an ELF64 little-endian image, or its version sections are malformed.</summary>
public sealed class ElfFormatException(string message) : IOException(message);

/// <summary>
/// Reads the symbol-versioning sections of ELF64 little-endian shared libraries and marks a required version
/// weak (<c>VER_FLG_WEAK</c> in its <c>Vernaux</c> entry), in pure managed code.
/// </summary>
/// <remarks>
/// Sections are found through the section header table: <c>.gnu.version_r</c> (<c>SHT_GNU_verneed</c>),
/// <c>.gnu.version_d</c> (<c>SHT_GNU_verdef</c>), <c>.gnu.version</c> (<c>SHT_GNU_versym</c>) and the string and
/// symbol tables they link to. Every offset is bounds-checked; a malformed file gives an
/// <see cref="ElfFormatException"/>, never an out-of-range read. Patching writes only the 2-byte flag field.
/// </remarks>
public static class ElfVersionPatcher
{
    /// <summary><c>VER_FLG_WEAK</c>.</summary>
    public const ushort WeakFlag = 0x2;

    /// <summary>The symbol versions <paramref name="path"/> requires, in file order (empty when it has no <c>.gnu.version_r</c>).</summary>
    public static IReadOnlyList<ElfVersionRequirement> ReadRequiredVersions(string path)
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        return new ElfImage(handle, path).ReadRequirements();
    }

    /// <summary>The symbol versions <paramref name="path"/> defines, e.g. every <c>GLIBCXX_*</c> of a libstdc++ (empty when it has no <c>.gnu.version_d</c>).</summary>
    public static IReadOnlyList<string> ReadDefinedVersions(string path)
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        return new ElfImage(handle, path).ReadDefinitions();
    }

    /// <summary>The undefined dynamic symbols of <paramref name="path"/> bound to the required version <paramref name="version"/>.</summary>
    public static IReadOnlyList<string> ReadSymbolsRequiring(string path, string version)
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var image = new ElfImage(handle, path);
        var requirement = image.ReadRequirements().FirstOrDefault(r => r.Version == version);
        return requirement is null ? [] : image.ReadUndefinedSymbolsWithVersionIndex(requirement.Index);
    }

    /// <summary>
    /// Sets <c>VER_FLG_WEAK</c> on every <c>Vernaux</c> entry of <paramref name="path"/> named <paramref name="version"/>.
    /// </summary>
    /// <returns>
    /// True when the file was changed; false when there was nothing to do (the version is already weak, or the
    /// file does not require it). Idempotent: a second call returns false and writes nothing.
    /// </returns>
    /// <remarks>
    /// The 2-byte field is written in place. When the file itself cannot be opened for writing, a patched copy
    /// is written beside it and renamed over it atomically (keeping its permissions); when the directory is not
    /// writable either, an <see cref="UnauthorizedAccessException"/> says so.
    /// </remarks>
    /// <exception cref="ElfFormatException">The file is not an ELF64 little-endian image or is malformed.</exception>
    public static bool MarkVersionWeak(string path, string version) => MarkVersionWeak(path, version, replaceFile: false);

    /// <summary><see cref="MarkVersionWeak(string, string)"/>; <paramref name="replaceFile"/> forces the copy-and-rename route.</summary>
    internal static bool MarkVersionWeak(string path, string version, bool replaceFile)
    {
        ArgumentException.ThrowIfNullOrEmpty(version);

        // Parse first, read-only: the common "already weak" case never opens the file for writing.
        if (!ReadRequiredVersions(path).Any(r => r.Version == version && !r.IsWeak)) return false;

        if (!replaceFile)
        {
            SafeFileHandle? handle = null;
            try
            {
                handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
            }
            catch (UnauthorizedAccessException)
            {
                // Read-only file: fall through to copy-and-rename.
            }
            if (handle is not null)
            {
                using (handle) return PatchOpenFile(handle, path, version);
            }
        }
        return ReplaceWithPatchedCopy(path, version);
    }

    private static bool PatchOpenFile(SafeFileHandle handle, string path, string version)
    {
        // Re-parse through the writable handle so the offsets written are those of the bytes just read.
        var changed = false;
        Span<byte> field = stackalloc byte[2];
        foreach (var requirement in new ElfImage(handle, path).ReadRequirements())
        {
            if (requirement.Version != version || requirement.IsWeak) continue;
            BinaryPrimitives.WriteUInt16LittleEndian(field, (ushort)(requirement.Flags | WeakFlag));
            RandomAccess.Write(handle, field, requirement.FlagsOffset);
            changed = true;
        }
        if (changed) RandomAccess.FlushToDisk(handle);
        return changed;
    }

    private static bool ReplaceWithPatchedCopy(string path, string version)
    {
        var full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full) ?? ".";
        var temporary = Path.Combine(directory, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            File.Copy(full, temporary);
            var unix = !OperatingSystem.IsWindows();
            var mode = unix ? File.GetUnixFileMode(full) : default;
            if (unix) File.SetUnixFileMode(temporary, mode | UnixFileMode.UserRead | UnixFileMode.UserWrite);

            bool changed;
            using (var handle = File.OpenHandle(temporary, FileMode.Open, FileAccess.ReadWrite))
                changed = PatchOpenFile(handle, temporary, version);

            if (unix) File.SetUnixFileMode(temporary, mode);
            if (changed) File.Move(temporary, full, overwrite: true); // rename(2): readers see the old or the new file, never a mix
            return changed;
        }
        catch (UnauthorizedAccessException e)
        {
            throw new UnauthorizedAccessException(
                $"Cannot mark {version} weak in '{full}': neither the file nor its directory is writable by this user. " +
                "Run the application once as the file's owner, or make the file writable.", e);
        }
        finally
        {
            try { File.Delete(temporary); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>A read-only view of an ELF64 little-endian file's section headers and version sections.</summary>
    private sealed class ElfImage
    {
        private const uint ShtDynsym = 11;
        private const uint ShtNobits = 8;
        private const uint ShtGnuVerdef = 0x6ffffffd;
        private const uint ShtGnuVerneed = 0x6ffffffe;
        private const uint ShtGnuVersym = 0x6fffffff;
        private const int SectionHeaderSize = 64;
        private const int MaxSections = 65_536;

        private readonly SafeFileHandle _handle;
        private readonly string _path;
        private readonly long _length;
        private readonly Section[] _sections;

        private readonly record struct Section(uint Type, long Offset, long Size, uint Link, uint Info, long EntrySize);

        public ElfImage(SafeFileHandle handle, string path)
        {
            _handle = handle;
            _path = path;
            _length = RandomAccess.GetLength(handle);
            _sections = ReadSectionHeaders();
        }

        public IReadOnlyList<ElfVersionRequirement> ReadRequirements()
        {
            var result = new List<ElfVersionRequirement>();
            foreach (var (verneed, strings, data, offset) in VersionEntries(ShtGnuVerneed, "version-needs", "Verneed", 16, nextAt: 12))
            {
                var entry = Slice(data, offset, 16, "Verneed");
                var auxCount = BinaryPrimitives.ReadUInt16LittleEndian(entry[2..]);
                var file = ReadString(strings, BinaryPrimitives.ReadUInt32LittleEndian(entry[4..]));
                var auxOffset = offset + BinaryPrimitives.ReadUInt32LittleEndian(entry[8..]);
                for (var j = 0; j < auxCount; j++)
                {
                    var aux = Slice(data, auxOffset, 16, "Vernaux");
                    result.Add(new ElfVersionRequirement(
                        Library: file,
                        Version: ReadString(strings, BinaryPrimitives.ReadUInt32LittleEndian(aux[8..])),
                        Flags: BinaryPrimitives.ReadUInt16LittleEndian(aux[4..]),
                        Index: BinaryPrimitives.ReadUInt16LittleEndian(aux[6..]),
                        FlagsOffset: verneed.Offset + auxOffset + 4));
                    var nextAux = BinaryPrimitives.ReadUInt32LittleEndian(aux[12..]);
                    if (nextAux == 0) break;
                    auxOffset += nextAux;
                }
            }
            return result;
        }

        public IReadOnlyList<string> ReadDefinitions()
        {
            var result = new List<string>();
            foreach (var (_, strings, data, offset) in VersionEntries(ShtGnuVerdef, "version-definitions", "Verdef", 20, nextAt: 16))
            {
                var entry = Slice(data, offset, 20, "Verdef");
                var auxCount = BinaryPrimitives.ReadUInt16LittleEndian(entry[6..]);
                // The first Verdaux names the version itself; the others name its parents.
                if (auxCount > 0)
                {
                    var aux = Slice(data, offset + BinaryPrimitives.ReadUInt32LittleEndian(entry[12..]), 8, "Verdaux");
                    result.Add(ReadString(strings, BinaryPrimitives.ReadUInt32LittleEndian(aux)));
                }
            }
            return result;
        }

        private readonly record struct VersionEntry(Section Section, Section Strings, byte[] Data, long Offset);

        /// <summary>
        /// The entries of every version-needs or version-definitions section: a chain of <paramref name="entrySize"/>-byte
        /// entries, each holding the offset of the next at <paramref name="nextAt"/>. sh_info holds the entry count; the
        /// walk also stops at a next offset of 0 and never takes more steps than can fit.
        /// </summary>
        private IEnumerable<VersionEntry> VersionEntries(uint type, string sectionName, string entryName, int entrySize, int nextAt)
        {
            foreach (var section in SectionsOfType(type))
            {
                var strings = LinkedSection(section, sectionName);
                var data = ReadSection(section);
                long offset = 0;
                for (var i = 0; i < MaxEntries(section.Info, data.Length, entrySize); i++)
                {
                    yield return new VersionEntry(section, strings, data, offset);
                    var next = BinaryPrimitives.ReadUInt32LittleEndian(Slice(data, offset, entrySize, entryName)[nextAt..]);
                    if (next == 0) break;
                    offset += next;
                }
            }
        }

        public IReadOnlyList<string> ReadUndefinedSymbolsWithVersionIndex(ushort index)
        {
            var result = new List<string>();
            foreach (var versym in SectionsOfType(ShtGnuVersym))
            {
                var dynsym = LinkedSection(versym, "version-symbol");
                if (dynsym.Type != ShtDynsym) throw Malformed("the version-symbol section does not link to a dynamic symbol table");
                var strings = LinkedSection(dynsym, "dynamic symbol");
                var versions = ReadSection(versym);
                var symbols = ReadSection(dynsym);
                var symbolSize = dynsym.EntrySize is 0 ? 24 : dynsym.EntrySize;
                if (symbolSize < 24) throw Malformed($"dynamic symbol entries of {symbolSize} bytes");
                var count = Math.Min(versions.Length / 2, symbols.Length / symbolSize);
                for (var i = 0; i < count; i++)
                {
                    var version = BinaryPrimitives.ReadUInt16LittleEndian(versions.AsSpan(i * 2));
                    if ((version & 0x7fff) != index) continue;
                    var symbol = symbols.AsSpan((int)(i * symbolSize), 24);
                    if (BinaryPrimitives.ReadUInt16LittleEndian(symbol[6..]) != 0) continue; // defined here, not required
                    result.Add(ReadString(strings, BinaryPrimitives.ReadUInt32LittleEndian(symbol)));
                }
            }
            return result;
        }

        private Section[] ReadSectionHeaders()
        {
            Span<byte> header = stackalloc byte[64];
            if (_length < header.Length || RandomAccess.Read(_handle, header, 0) < header.Length)
                throw Malformed("the file is too short to be an ELF image", notElf: true);
            if (header[0] != 0x7f || header[1] != (byte)'E' || header[2] != (byte)'L' || header[3] != (byte)'F')
                throw Malformed("the file does not start with the ELF magic bytes", notElf: true);
            if (header[4] != 2) throw Malformed("only 64-bit (ELFCLASS64) images are supported");
            if (header[5] != 1) throw Malformed("only little-endian (ELFDATA2LSB) images are supported");

            var tableOffset = BinaryPrimitives.ReadUInt64LittleEndian(header[0x28..]);
            var entrySize = BinaryPrimitives.ReadUInt16LittleEndian(header[0x3a..]);
            long count = BinaryPrimitives.ReadUInt16LittleEndian(header[0x3c..]);
            if (tableOffset == 0) throw Malformed("it has no section header table");
            if (entrySize < SectionHeaderSize) throw Malformed($"section headers of {entrySize} bytes");
            if (tableOffset > (ulong)_length) throw Malformed("the section header table lies beyond the end of the file");

            if (count == 0)
            {
                // Extended numbering: the real count is sh_size of section 0.
                Span<byte> first = stackalloc byte[SectionHeaderSize];
                ReadExactly(first, (long)tableOffset, "section header 0");
                count = (long)Math.Min(BinaryPrimitives.ReadUInt64LittleEndian(first[32..]), MaxSections + 1UL);
            }
            if (count > MaxSections) throw Malformed($"{count} sections");
            if ((long)tableOffset + count * entrySize > _length) throw Malformed("the section header table runs past the end of the file");

            var table = new byte[count * entrySize];
            ReadExactly(table, (long)tableOffset, "section header table");
            var sections = new Section[count];
            for (var i = 0; i < count; i++)
            {
                var s = table.AsSpan(i * entrySize, SectionHeaderSize);
                sections[i] = new Section(
                    Type: BinaryPrimitives.ReadUInt32LittleEndian(s[4..]),
                    Offset: ToLong(BinaryPrimitives.ReadUInt64LittleEndian(s[24..])),
                    Size: ToLong(BinaryPrimitives.ReadUInt64LittleEndian(s[32..])),
                    Link: BinaryPrimitives.ReadUInt32LittleEndian(s[40..]),
                    Info: BinaryPrimitives.ReadUInt32LittleEndian(s[44..]),
                    EntrySize: ToLong(BinaryPrimitives.ReadUInt64LittleEndian(s[56..])));
            }
            return sections;
        }

        private IEnumerable<Section> SectionsOfType(uint type) => _sections.Where(s => s.Type == type);

        private Section LinkedSection(Section section, string what) =>
            section.Link > 0 && section.Link < _sections.Length
                ? _sections[section.Link]
                : throw Malformed($"the {what} section links to section {section.Link}, which does not exist");

        private byte[] ReadSection(Section section)
        {
            if (section.Type == ShtNobits) return [];
            CheckBounds(section);
            if (section.Size > 256L * 1024 * 1024) throw Malformed($"a version or symbol section of {section.Size} bytes");
            var data = new byte[section.Size];
            ReadExactly(data, section.Offset, "section");
            return data;
        }

        /// <summary>Reads the NUL-terminated string at <paramref name="offset"/> of a string table, reading only what it needs.</summary>
        private string ReadString(Section table, uint offset)
        {
            CheckBounds(table);
            if (offset >= table.Size) throw Malformed($"string offset {offset} is outside its string table");
            var bytes = new List<byte>(32);
            Span<byte> chunk = stackalloc byte[128];
            for (var position = table.Offset + offset; position < table.Offset + table.Size;)
            {
                var wanted = (int)Math.Min(chunk.Length, table.Offset + table.Size - position);
                var read = RandomAccess.Read(_handle, chunk[..wanted], position);
                if (read <= 0) break;
                var end = chunk[..read].IndexOf((byte)0);
                if (end >= 0)
                {
                    foreach (var b in chunk[..end]) bytes.Add(b);
                    return Encoding.UTF8.GetString(bytes.ToArray());
                }
                foreach (var b in chunk[..read]) bytes.Add(b);
                position += read;
            }
            throw Malformed($"string at offset {offset} is not terminated inside its string table");
        }

        private void CheckBounds(Section section)
        {
            if (section.Offset < 0 || section.Size < 0 || section.Offset > _length || section.Size > _length - section.Offset)
                throw Malformed("a section lies outside the file");
        }

        private void ReadExactly(Span<byte> buffer, long offset, string what)
        {
            var done = 0;
            while (done < buffer.Length)
            {
                var read = RandomAccess.Read(_handle, buffer[done..], offset + done);
                if (read <= 0) throw Malformed($"the {what} is cut short");
                done += read;
            }
        }

        private ReadOnlySpan<byte> Slice(byte[] data, long offset, int size, string what) =>
            offset >= 0 && offset <= data.Length - size
                ? data.AsSpan((int)offset, size)
                : throw Malformed($"a {what} entry lies outside its section");

        private static int MaxEntries(uint declared, int sectionLength, int entrySize) =>
            (int)Math.Min(declared == 0 ? uint.MaxValue : declared, (uint)(sectionLength / entrySize));

        private long ToLong(ulong value) => value <= long.MaxValue ? (long)value : throw Malformed("an offset or size does not fit in 63 bits");

        private ElfFormatException Malformed(string reason, bool notElf = false) =>
            new(notElf ? $"'{_path}' is not an ELF file: {reason}." : $"'{_path}' is not a well-formed ELF64 little-endian image: {reason}.");
    }
}
