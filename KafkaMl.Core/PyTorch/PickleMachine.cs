using System.Buffers.Binary;
using System.Numerics;
using System.Text;

namespace KafkaMl.Core.PyTorch;

/// <summary>A Python tuple as the pickle machine builds it.</summary>
internal sealed record PickleTuple(object?[] Items);

/// <summary>A Python dict (ordered, as pickled); <see cref="Origin"/> names the global that made it, if any.</summary>
internal sealed class PickleDict(string? origin = null)
{
    public string? Origin { get; } = origin;

    public List<KeyValuePair<object?, object?>> Items { get; } = [];
}

/// <summary>A reference to <c>module.name</c> that the pickle named (GLOBAL / STACK_GLOBAL); never resolved to code.</summary>
internal sealed record PickleGlobal(string Module, string Name)
{
    public override string ToString() => $"{Module}.{Name}";
}

/// <summary>
/// The pickle virtual machine reduced to what <c>torch.save</c> writes for a state dict: it interprets the opcodes
/// itself and calls nothing. Every global the stream names goes through <see cref="ResolveGlobal"/> (the allow-list),
/// every call (REDUCE) through <see cref="Call"/>, every attribute set (BUILD) through <see cref="Build"/> and every
/// persistent id through <see cref="PersistentLoad"/>; an opcode outside the list (NEWOBJ, INST, OBJ, EXT, PERSID, ...)
/// is refused. So a pickle carrying any other object is refused while it is read, and nothing in it ever runs.
/// </summary>
internal abstract class PickleMachine
{
    /// <summary>The allowed global, or a refusal naming it.</summary>
    protected abstract PickleGlobal ResolveGlobal(string module, string name);

    protected abstract object? Call(PickleGlobal callable, PickleTuple arguments);

    protected abstract object? PersistentLoad(object? id);

    protected abstract void Build(object? target, object? state);

    public object? Run(ReadOnlySpan<byte> pickle)
    {
        var stack = new List<object?>();
        var marks = new Stack<int>();
        var memo = new Dictionary<long, object?>();
        var at = 0;
        while (true)
        {
            if (at >= pickle.Length) throw new WeightsFormatException("The pickle ends without its STOP opcode.");
            var opcode = pickle[at++];
            switch (opcode)
            {
                case 0x80: at += 1; break; // PROTO n
                case 0x95: at += 8; break; // FRAME length (frames are read as one stream)
                case (byte)'c':
                {
                    var module = Line(pickle, ref at);
                    stack.Add(ResolveGlobal(module, Line(pickle, ref at)));
                    break;
                }
                case 0x93: // STACK_GLOBAL
                {
                    var name = Pop(stack) as string;
                    var module = Pop(stack) as string;
                    if (module is null || name is null) throw new WeightsFormatException("STACK_GLOBAL without a module and a name.");
                    stack.Add(ResolveGlobal(module, name));
                    break;
                }
                case (byte)'q': memo[Take(pickle, ref at, 1)[0]] = Top(stack); break; // BINPUT
                case (byte)'r': memo[BinaryPrimitives.ReadUInt32LittleEndian(Take(pickle, ref at, 4))] = Top(stack); break; // LONG_BINPUT
                case 0x94: memo[memo.Count] = Top(stack); break; // MEMOIZE
                case (byte)'h': stack.Add(Memo(memo, Take(pickle, ref at, 1)[0])); break; // BINGET
                case (byte)'j': stack.Add(Memo(memo, BinaryPrimitives.ReadUInt32LittleEndian(Take(pickle, ref at, 4)))); break; // LONG_BINGET
                case (byte)'}': stack.Add(new PickleDict()); break;
                case (byte)')': stack.Add(new PickleTuple([])); break;
                case (byte)']': stack.Add(new List<object?>()); break;
                case (byte)'(': marks.Push(stack.Count); break;
                case (byte)'t': stack.Add(new PickleTuple([.. PopMark(stack, marks)])); break;
                case 0x85: stack.Add(new PickleTuple([Pop(stack)])); break;
                case 0x86: { var b = Pop(stack); var a = Pop(stack); stack.Add(new PickleTuple([a, b])); break; }
                case 0x87: { var c = Pop(stack); var b = Pop(stack); var a = Pop(stack); stack.Add(new PickleTuple([a, b, c])); break; }
                case (byte)'J': stack.Add((long)BinaryPrimitives.ReadInt32LittleEndian(Take(pickle, ref at, 4))); break;
                case (byte)'K': stack.Add((long)Take(pickle, ref at, 1)[0]); break;
                case (byte)'M': stack.Add((long)BinaryPrimitives.ReadUInt16LittleEndian(Take(pickle, ref at, 2))); break;
                case 0x8a: // LONG1
                {
                    var length = Take(pickle, ref at, 1)[0];
                    stack.Add((long)new BigInteger(Take(pickle, ref at, length), isUnsigned: false, isBigEndian: false));
                    break;
                }
                case (byte)'X': stack.Add(Text(pickle, ref at, BinaryPrimitives.ReadUInt32LittleEndian(Take(pickle, ref at, 4)))); break;
                case 0x8c: stack.Add(Text(pickle, ref at, Take(pickle, ref at, 1)[0])); break;
                case (byte)'C': stack.Add(Take(pickle, ref at, Take(pickle, ref at, 1)[0]).ToArray()); break; // SHORT_BINBYTES
                case (byte)'B': stack.Add(Take(pickle, ref at, checked((int)BinaryPrimitives.ReadUInt32LittleEndian(Take(pickle, ref at, 4)))).ToArray()); break;
                case 0x88: stack.Add(true); break;
                case 0x89: stack.Add(false); break;
                case (byte)'N': stack.Add(null); break;
                case (byte)'G': stack.Add(BinaryPrimitives.ReadDoubleBigEndian(Take(pickle, ref at, 8))); break;
                case (byte)'0': Pop(stack); break; // POP
                case (byte)'R': // REDUCE
                {
                    var arguments = Pop(stack) as PickleTuple ?? throw new WeightsFormatException("REDUCE without an argument tuple.");
                    var callable = Pop(stack) as PickleGlobal ?? throw new WeightsFormatException("REDUCE of something that is not a global.");
                    stack.Add(Call(callable, arguments));
                    break;
                }
                case (byte)'Q': stack.Add(PersistentLoad(Pop(stack))); break; // BINPERSID
                case (byte)'s': { var value = Pop(stack); var key = Pop(stack); AsDict(Top(stack)).Items.Add(new(key, value)); break; }
                case (byte)'u': // SETITEMS
                {
                    var items = PopMark(stack, marks);
                    if (items.Count % 2 != 0) throw new WeightsFormatException("SETITEMS with an odd number of items.");
                    var dict = AsDict(Top(stack));
                    for (var i = 0; i < items.Count; i += 2) dict.Items.Add(new(items[i], items[i + 1]));
                    break;
                }
                case (byte)'a': { var item = Pop(stack); AsList(Top(stack)).Add(item); break; }
                case (byte)'e': { var items = PopMark(stack, marks); AsList(Top(stack)).AddRange(items); break; }
                case (byte)'b': { var state = Pop(stack); Build(Top(stack), state); break; }
                case (byte)'.': return Pop(stack);
                default:
                    throw new WeightsFormatException(
                        $"The pickle uses opcode 0x{opcode:x2} at byte {at - 1}, which a state dict of plain tensors never needs; it was refused before anything ran.");
            }
        }
    }

    private static ReadOnlySpan<byte> Take(ReadOnlySpan<byte> pickle, ref int at, long count)
    {
        if (count < 0 || at + count > pickle.Length) throw new WeightsFormatException("The pickle ends inside an opcode.");
        var taken = pickle.Slice(at, (int)count);
        at += (int)count;
        return taken;
    }

    private static string Text(ReadOnlySpan<byte> pickle, ref int at, long length) => Encoding.UTF8.GetString(Take(pickle, ref at, length));

    private static string Line(ReadOnlySpan<byte> pickle, ref int at)
    {
        var end = pickle[at..].IndexOf((byte)'\n');
        if (end < 0) throw new WeightsFormatException("The pickle ends inside a GLOBAL opcode.");
        var line = Encoding.UTF8.GetString(pickle.Slice(at, end));
        at += end + 1;
        return line;
    }

    private static object? Pop(List<object?> stack)
    {
        if (stack.Count == 0) throw new WeightsFormatException("The pickle pops from an empty stack.");
        var top = stack[^1];
        stack.RemoveAt(stack.Count - 1);
        return top;
    }

    private static object? Top(List<object?> stack) =>
        stack.Count > 0 ? stack[^1] : throw new WeightsFormatException("The pickle reads an empty stack.");

    private static List<object?> PopMark(List<object?> stack, Stack<int> marks)
    {
        if (marks.Count == 0) throw new WeightsFormatException("The pickle closes a MARK it never opened.");
        var mark = marks.Pop();
        if (mark > stack.Count) throw new WeightsFormatException("The pickle's MARK lies beyond its stack.");
        var items = stack.GetRange(mark, stack.Count - mark);
        stack.RemoveRange(mark, stack.Count - mark);
        return items;
    }

    private static object? Memo(Dictionary<long, object?> memo, long key) =>
        memo.TryGetValue(key, out var value) ? value : throw new WeightsFormatException($"The pickle reads memo {key}, which it never stored.");

    private static PickleDict AsDict(object? value) =>
        value as PickleDict ?? throw new WeightsFormatException("The pickle sets items on something that is not a dict.");

    private static List<object?> AsList(object? value) =>
        value as List<object?> ?? throw new WeightsFormatException("The pickle appends to something that is not a list.");
}
