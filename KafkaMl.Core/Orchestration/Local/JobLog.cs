using System.Globalization;
using System.Text;

namespace KafkaMl.Core.Orchestration.Local;

/// <summary>
/// A local job's output: every line goes to its replica's file (<c>replica-&lt;n&gt;.log</c>, rotated at a size cap,
/// one old file kept) and to a ring buffer of the job's last lines, which <see cref="Tail"/> reads. Thread-safe.
/// </summary>
internal sealed class JobLog : IDisposable
{
    /// <summary>Longer lines are cut here, so a process writing without newlines cannot exhaust the buffer.</summary>
    private const int MaxLineLength = 16 * 1024;

    private readonly object _gate = new();
    private readonly string _directory;
    private readonly long _maxFileBytes;
    private readonly int _capacity;
    private readonly bool _prefixReplica;
    private readonly Queue<string> _lines = new();
    private readonly Dictionary<int, RotatingFile> _files = [];
    private bool _disposed;

    public JobLog(string directory, long maxFileBytes, int capacity, bool prefixReplica)
    {
        _directory = directory;
        _maxFileBytes = Math.Max(4096, maxFileBytes);
        _capacity = Math.Max(1, capacity);
        _prefixReplica = prefixReplica;
    }

    public static string FileName(int replica) => $"replica-{replica.ToString(CultureInfo.InvariantCulture)}.log";

    /// <summary>Records one line of <paramref name="replica"/>'s output.</summary>
    public void Append(int replica, string line)
    {
        if (line.Length > MaxLineLength) line = string.Concat(line.AsSpan(0, MaxLineLength), " …");
        lock (_gate)
        {
            if (_disposed) return;
            _lines.Enqueue(_prefixReplica ? $"[{replica.ToString(CultureInfo.InvariantCulture)}] {line}" : line);
            while (_lines.Count > _capacity) _lines.Dequeue();
            try
            {
                if (!_files.TryGetValue(replica, out var file))
                    _files[replica] = file = new RotatingFile(Path.Combine(_directory, FileName(replica)), _maxFileBytes);
                file.WriteLine(line);
            }
            catch (IOException)
            {
                // A full disk must not take the job down; the buffer still has the line.
            }
        }
    }

    /// <summary>A note of the runner's own (start, exit, restart) in the replica's log, marked as such.</summary>
    public void Note(int replica, string note) => Append(replica, $"[kafkaml] {note}");

    /// <summary>The last <paramref name="lines"/> lines, newline-terminated; null when there are none.</summary>
    public string? Tail(int lines)
    {
        lock (_gate)
        {
            if (_lines.Count == 0 || lines <= 0) return null;
            return Join(_lines.Skip(Math.Max(0, _lines.Count - lines)));
        }
    }

    /// <summary>Closes <paramref name="replica"/>'s file (it is reopened, appending, if the replica writes again).</summary>
    public void Close(int replica)
    {
        lock (_gate)
        {
            if (_files.Remove(replica, out var file)) file.Dispose();
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            foreach (var file in _files.Values) file.Dispose();
            _files.Clear();
        }
    }

    /// <summary>
    /// The last lines of the replica files a job left in <paramref name="directory"/> (after a stop, or from an earlier
    /// portal process); null when there are none.
    /// </summary>
    public static async Task<string?> TailFilesAsync(string directory, int lines, CancellationToken cancellationToken)
    {
        if (lines <= 0 || !Directory.Exists(directory)) return null;
        var files = Directory.GetFiles(directory, "replica-*.log")
            .Select(path => (Path: path, Replica: ReplicaOf(path)))
            .Where(f => f.Replica is not null)
            .OrderBy(f => f.Replica)
            .ToList();
        var all = new List<string>();
        foreach (var (path, replica) in files)
        {
            var tail = await ReadTailAsync(path, lines, cancellationToken);
            all.AddRange(files.Count == 1 ? tail : tail.Select(l => $"[{replica!.Value.ToString(CultureInfo.InvariantCulture)}] {l}"));
        }
        return all.Count == 0 ? null : Join(all.Skip(Math.Max(0, all.Count - lines)));
    }

    private static int? ReplicaOf(string path)
    {
        var name = Path.GetFileNameWithoutExtension(path); // replica-<n>
        return int.TryParse(name.AsSpan("replica-".Length), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;
    }

    private static async Task<List<string>> ReadTailAsync(string path, int lines, CancellationToken cancellationToken)
    {
        const int window = 1 << 20; // the tail of a capped file; enough for any sensible line count
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var skipped = stream.Length > window;
        if (skipped) stream.Seek(-window, SeekOrigin.End);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var text = await reader.ReadToEndAsync(cancellationToken);
        var all = text.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        if (skipped && all.Count > 0) all.RemoveAt(0); // a partial first line
        if (all.Count > 0 && all[^1].Length == 0) all.RemoveAt(all.Count - 1);
        return all.Skip(Math.Max(0, all.Count - lines)).ToList();
    }

    private static string Join(IEnumerable<string> lines)
    {
        var text = new StringBuilder();
        foreach (var line in lines) text.Append(line).Append('\n');
        return text.ToString();
    }

    /// <summary>An append-only UTF-8 file renamed to <c>&lt;path&gt;.1</c> when it reaches its cap.</summary>
    private sealed class RotatingFile : IDisposable
    {
        private readonly string _path;
        private readonly long _maxBytes;
        private StreamWriter _writer;

        public RotatingFile(string path, long maxBytes)
        {
            _path = path;
            _maxBytes = maxBytes;
            _writer = Open(path);
        }

        public void WriteLine(string line)
        {
            _writer.Write(line);
            _writer.Write('\n');
            if (_writer.BaseStream.Length < _maxBytes) return;
            _writer.Dispose();
            File.Move(_path, _path + ".1", overwrite: true);
            _writer = Open(_path);
        }

        public void Dispose() => _writer.Dispose();

        private static StreamWriter Open(string path) =>
            new(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete), new UTF8Encoding(false))
            {
                AutoFlush = true,
            };
    }
}
