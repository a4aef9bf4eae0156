using System.Buffers;

namespace KafkaMl.Core.Formats;

/// <summary>
/// A growable float list for decoders that learn the element count while reading: starts on a
/// caller-sized array (exact when the count is known) and grows through <see cref="ArrayPool{T}"/>.
/// </summary>
internal ref struct FloatBuffer
{
    private float[] _buffer;
    private bool _pooled;

    /// <summary>Writes into <paramref name="exact"/>; adding past its end is a bug.</summary>
    public FloatBuffer(float[] exact)
    {
        _buffer = exact;
        _pooled = false;
        Count = 0;
    }

    /// <summary>Writes into a pooled array that grows as needed; call <see cref="Dispose"/>.</summary>
    public FloatBuffer(int initialCapacity)
    {
        _buffer = ArrayPool<float>.Shared.Rent(Math.Max(16, initialCapacity));
        _pooled = true;
        Count = 0;
    }

    public int Count { get; private set; }

    public readonly ReadOnlySpan<float> Written => _buffer.AsSpan(0, Count);

    public void Add(float value)
    {
        if (Count == _buffer.Length)
        {
            if (!_pooled) throw new InvalidOperationException("A fixed-size float buffer overflowed.");
            var bigger = ArrayPool<float>.Shared.Rent(_buffer.Length * 2);
            _buffer.AsSpan().CopyTo(bigger);
            ArrayPool<float>.Shared.Return(_buffer);
            _buffer = bigger;
        }
        _buffer[Count++] = value;
    }

    /// <summary>The values as an exact-size array (the fixed array itself when it was given one).</summary>
    public readonly float[] ToArray() => !_pooled && Count == _buffer.Length ? _buffer : Written.ToArray();

    public void Dispose()
    {
        if (_pooled) ArrayPool<float>.Shared.Return(_buffer);
        _pooled = false;
        _buffer = [];
        Count = 0;
    }
}
