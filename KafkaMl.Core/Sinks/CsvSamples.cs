using System.Globalization;
using System.Text;

namespace KafkaMl.Core.Sinks;

/// <summary>Which columns of a CSV file are the label and the features, and how the file is laid out.</summary>
public sealed record CsvSampleOptions
{
    /// <summary>The label column: a header name or a 0-based index; null = the first column.</summary>
    public string? Label { get; init; }

    /// <summary>The feature columns, in the order they go into each sample: header names or 0-based indexes; null = every column but the label.</summary>
    public IReadOnlyList<string>? Features { get; init; }

    /// <summary>True when the first line names the columns.</summary>
    public bool HasHeader { get; init; } = true;

    /// <summary>The field separator.</summary>
    public char Delimiter { get; init; } = ',';

    /// <summary>The file has no label column (unlabelled samples): <see cref="Label"/> is ignored and every sample's label is empty.</summary>
    public bool Unlabelled { get; init; }
}

/// <summary>
/// A CSV file that cannot be read as samples. <see cref="Line"/> (1-based, counting the header) and
/// <see cref="Column"/> (1-based) say where, when the problem is at one place; the message says both.
/// </summary>
public sealed class CsvSampleException : Exception
{
    public CsvSampleException(string message, int line = 0, int column = 0, string? columnName = null) : base(message)
    {
        Line = line;
        Column = column;
        ColumnName = columnName;
    }

    /// <summary>The 1-based line (the header is line 1); 0 when the problem is not on one line.</summary>
    public int Line { get; }

    /// <summary>The 1-based column; 0 when the problem is not in one column.</summary>
    public int Column { get; }

    /// <summary>The column's header name (or <c>column N</c> without a header); null when not about one column.</summary>
    public string? ColumnName { get; }
}

/// <summary>
/// Reads a CSV file as training samples, one record at a time: the feature columns parsed into floats
/// in the chosen order, and the label column. Nothing is kept but the current record, so files of any
/// size stream through. Fields may be quoted (RFC 4180: <c>"a,b"</c>, <c>""</c> for a quote, line
/// breaks inside quotes); blank lines are skipped; numbers use the invariant culture
/// (<c>1.5</c>, <c>-2e3</c>). A cell that is not a finite number, or a record with the wrong number
/// of fields, throws <see cref="CsvSampleException"/> naming the line and the column.
/// </summary>
/// <example>
/// <code>
/// using var csv = CsvSamples.Open("hcopd.csv", new CsvSampleOptions { Label = "Diagnosis" });
/// while (csv.MoveNext()) sink.Send(csv.Features, csv.Label);
/// </code>
/// </example>
public sealed class CsvSamples : IDisposable
{
    private readonly TextReader _reader;
    private readonly bool _leaveOpen;
    private readonly char _delimiter;
    private readonly char[] _buffer = new char[64 * 1024];
    private int _bufferPos;
    private int _bufferLen;
    private bool _eof;
    private int _physicalLine; // lines consumed so far

    // The current record: its characters and where each field starts and ends in them.
    private char[] _record = new char[256];
    private int _recordLen;
    private readonly List<(int Start, int Length)> _fields = [];
    private int _recordLine;

    private readonly int[] _featureColumns;
    private readonly int _labelColumn;
    private readonly float[] _features;
    private readonly float[] _label = new float[1];
    private readonly bool _hasHeader;
    private bool _pendingFirstRecord;

    /// <summary>Opens a CSV file (UTF-8, with or without a byte-order mark).</summary>
    public static CsvSamples Open(string path, CsvSampleOptions? options = null)
    {
        var reader = new StreamReader(path, Encoding.UTF8, detectEncodingFromByteOrderMarks: true,
            new FileStreamOptions { Mode = FileMode.Open, Access = FileAccess.Read, Share = FileShare.Read, BufferSize = 1 << 16 });
        try
        {
            return new CsvSamples(reader, options);
        }
        catch
        {
            reader.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Reads the header (or the first record, to count the columns, when there is none) and resolves
    /// the label and feature columns; throws <see cref="CsvSampleException"/> when the file is empty or
    /// names a column that is not there.
    /// </summary>
    public CsvSamples(TextReader reader, CsvSampleOptions? options = null, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(reader);
        options ??= new CsvSampleOptions();
        if (options.Delimiter is '"' or '\r' or '\n')
            throw new ArgumentException($"The delimiter cannot be {Show(options.Delimiter)}.", nameof(options));
        _reader = reader;
        _leaveOpen = leaveOpen;
        _delimiter = options.Delimiter;
        _hasHeader = options.HasHeader;

        if (!ReadRecord())
            throw new CsvSampleException("The CSV file is empty: it has no header and no rows.");
        if (options.HasHeader)
        {
            ColumnNames = [.. _fields.Select(f => new string(_record, f.Start, f.Length).Trim())];
            for (var i = 0; i < ColumnNames.Count; i++)
            {
                if (ColumnNames[i].Length == 0)
                    throw new CsvSampleException($"line {_recordLine}, column {i + 1}: the header has an empty column name.", _recordLine, i + 1);
            }
        }
        else
        {
            ColumnNames = [.. Enumerable.Range(1, _fields.Count).Select(i => $"column {i}")];
            _pendingFirstRecord = true;
        }

        _labelColumn = options.Unlabelled ? -1 : options.Label is null ? 0 : Resolve(options.Label, "label", options.HasHeader);
        if (!options.Unlabelled && ColumnNames.Count < 2 && options.Features is null)
            throw new CsvSampleException($"The CSV file has only one column ({ColumnNames[0]}); a sample needs a label column and at least one feature column.");
        var features = new List<int>();
        if (options.Features is null)
        {
            for (var i = 0; i < ColumnNames.Count; i++)
            {
                if (i != _labelColumn) features.Add(i);
            }
        }
        else
        {
            if (options.Features.Count == 0) throw new CsvSampleException("No feature columns were given.");
            foreach (var spec in options.Features)
            {
                var column = Resolve(spec, "feature", options.HasHeader);
                if (column == _labelColumn)
                    throw new CsvSampleException($"The column {Describe(column)} is the label; it cannot also be a feature.");
                if (features.Contains(column))
                    throw new CsvSampleException($"The feature column {Describe(column)} is named twice.");
                features.Add(column);
            }
        }
        _featureColumns = [.. features];
        _features = new float[_featureColumns.Length];
        LabelName = _labelColumn < 0 ? "" : ColumnNames[_labelColumn];
        FeatureNames = [.. _featureColumns.Select(c => ColumnNames[c])];
    }

    /// <summary>The header's column names, or <c>column 1</c>, <c>column 2</c>, ... without a header.</summary>
    public IReadOnlyList<string> ColumnNames { get; }

    /// <summary>The 0-based index of the label column; -1 for an unlabelled file.</summary>
    public int LabelColumn => _labelColumn;

    /// <summary>The 0-based indexes of the feature columns, in sample order.</summary>
    public IReadOnlyList<int> FeatureColumns => _featureColumns;

    /// <summary>The label column's name; empty for an unlabelled file.</summary>
    public string LabelName { get; }

    public IReadOnlyList<string> FeatureNames { get; }

    /// <summary>The 1-based line where the current sample's record starts (the header is line 1).</summary>
    public int Line => _recordLine;

    /// <summary>Samples read so far.</summary>
    public long Count { get; private set; }

    /// <summary>The current sample's features, in <see cref="FeatureNames"/> order (valid until the next <see cref="MoveNext"/>).</summary>
    public ReadOnlySpan<float> Features => _features;

    /// <summary>The current sample's label: one value; empty for an unlabelled file.</summary>
    public ReadOnlySpan<float> Label => _labelColumn < 0 ? default : _label;

    /// <summary>Reads the next sample; false at the end of the file. Throws <see cref="CsvSampleException"/> for a bad record.</summary>
    public bool MoveNext()
    {
        if (_pendingFirstRecord) _pendingFirstRecord = false;
        else if (!ReadRecord()) return false;

        if (_fields.Count != ColumnNames.Count)
        {
            throw new CsvSampleException(
                $"line {_recordLine}: the row has {_fields.Count} field{(_fields.Count == 1 ? "" : "s")} but the {(_hasHeader ? "header" : "first row")} has {ColumnNames.Count}.",
                _recordLine);
        }
        for (var i = 0; i < _featureColumns.Length; i++) _features[i] = Number(_featureColumns[i]);
        if (_labelColumn >= 0) _label[0] = Number(_labelColumn);
        Count++;
        return true;
    }

    public void Dispose()
    {
        if (!_leaveOpen) _reader.Dispose();
    }

    // ---- columns ----

    private int Resolve(string spec, string role, bool hasHeader)
    {
        var text = spec.Trim();
        if (text.Length == 0) throw new CsvSampleException($"The {role} column name is empty.");
        if (hasHeader)
        {
            var exact = IndexesOf(text, StringComparison.Ordinal);
            if (exact.Count == 1) return exact[0];
            if (exact.Count > 1) throw new CsvSampleException($"The {role} column '{text}' is ambiguous: the header names it {exact.Count} times; give its 0-based index instead.");
            var loose = IndexesOf(text, StringComparison.OrdinalIgnoreCase);
            if (loose.Count == 1) return loose[0];
        }
        else
        {
            var named = IndexesOf(text, StringComparison.OrdinalIgnoreCase);
            if (named.Count == 1) return named[0];
        }
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var index))
        {
            if (index < ColumnNames.Count) return index;
            throw new CsvSampleException($"The {role} column index {index} is out of range: the file has {ColumnNames.Count} columns (0 to {ColumnNames.Count - 1}).");
        }
        throw new CsvSampleException(hasHeader
            ? $"The {role} column '{text}' is not in the header; the columns are {string.Join(", ", ColumnNames)} (or give a 0-based index)."
            : $"The {role} column '{text}' is not a 0-based column index (the file has no header; its {ColumnNames.Count} columns are 0 to {ColumnNames.Count - 1}).");
    }

    private List<int> IndexesOf(string name, StringComparison comparison)
    {
        var found = new List<int>();
        for (var i = 0; i < ColumnNames.Count; i++)
        {
            if (string.Equals(ColumnNames[i], name, comparison)) found.Add(i);
        }
        return found;
    }

    private string Describe(int column) => $"{column + 1} ({ColumnNames[column]})";

    private float Number(int column)
    {
        var (start, length) = _fields[column];
        var cell = _record.AsSpan(start, length);
        if (float.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && float.IsFinite(value))
            return value;
        var trimmed = cell.Trim();
        var reason = trimmed.IsEmpty
            ? "the cell is empty"
            : float.TryParse(trimmed, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) && !float.IsFinite(parsed)
                ? $"'{Abbreviate(trimmed)}' is not a finite number"
                : $"'{Abbreviate(trimmed)}' is not a number";
        throw new CsvSampleException(
            $"line {_recordLine}, column {column + 1} ({ColumnNames[column]}): {reason}.", _recordLine, column + 1, ColumnNames[column]);
    }

    private static string Abbreviate(ReadOnlySpan<char> text) => text.Length <= 40 ? text.ToString() : string.Concat(text[..37], "...");

    private static string Show(char c) => c switch { '\r' => @"'\r'", '\n' => @"'\n'", _ => $"'{c}'" };

    // ---- records ----

    /// <summary>Reads the next non-blank record into <see cref="_record"/> and <see cref="_fields"/>; false at the end.</summary>
    private bool ReadRecord()
    {
        while (true)
        {
            if (!Peek(out _)) return false;
            _recordLen = 0;
            _fields.Clear();
            _recordLine = _physicalLine + 1;
            ReadFields();
            // A line with nothing on it (or only spaces) is not a record.
            if (_fields.Count == 1 && _record.AsSpan(0, _recordLen).IsWhiteSpace()) continue;
            return true;
        }
    }

    private void ReadFields()
    {
        while (true)
        {
            var start = _recordLen;
            var column = _fields.Count + 1;
            // Leading spaces before a quote are allowed (and dropped).
            var spaces = 0;
            while (Peek(out var c) && c == ' ' && c != _delimiter) { Take(); Append(c); spaces++; }
            if (Peek(out var first) && first == '"')
            {
                _recordLen = start;
                Take();
                ReadQuoted(column);
            }
            else
            {
                while (Peek(out var c) && c != _delimiter && c != '\n' && c != '\r')
                {
                    Take();
                    Append(c);
                }
            }
            _fields.Add((start, _recordLen - start));

            if (!Peek(out var next))
            {
                _physicalLine++; // the last line, without a line break
                return;
            }
            Take();
            if (next == _delimiter) continue;
            if (next == '\r' && Peek(out var lf) && lf == '\n') Take();
            _physicalLine++;
            return;
        }
    }

    private void ReadQuoted(int column)
    {
        var openedOn = _physicalLine + 1;
        while (true)
        {
            if (!Peek(out var c))
                throw new CsvSampleException($"line {openedOn}, column {column}: the quoted field is never closed.", openedOn, column);
            Take();
            if (c == '"')
            {
                if (Peek(out var after) && after == '"')
                {
                    Take();
                    Append('"');
                    continue;
                }
                // Closed: only spaces may follow before the delimiter or the line end.
                while (Peek(out var trailing) && trailing == ' ' && trailing != _delimiter) Take();
                if (Peek(out var end) && end != _delimiter && end != '\n' && end != '\r')
                    throw new CsvSampleException(
                        $"line {_physicalLine + 1}, column {column}: {Show(end)} follows the closing quote; a quoted field ends at the delimiter.",
                        _physicalLine + 1, column);
                return;
            }
            if (c == '\n' || (c == '\r' && !(Peek(out var n) && n == '\n'))) _physicalLine++;
            Append(c);
        }
    }

    private void Append(char c)
    {
        if (_recordLen == _record.Length) Array.Resize(ref _record, _record.Length * 2);
        _record[_recordLen++] = c;
    }

    private bool Peek(out char c)
    {
        if (_bufferPos == _bufferLen)
        {
            if (_eof || (_bufferLen = _reader.Read(_buffer, 0, _buffer.Length)) == 0)
            {
                _eof = true;
                _bufferLen = _bufferPos = 0;
                c = '\0';
                return false;
            }
            _bufferPos = 0;
        }
        c = _buffer[_bufferPos];
        return true;
    }

    private void Take() => _bufferPos++;
}
