// Reading safetensors files (the format of Hugging Face's `safetensors` package): an unsigned
// 64-bit little-endian header length, a JSON header mapping names to {dtype, shape,
// data_offsets} plus an optional "__metadata__" of strings, then raw little-endian bytes.
// Every field is validated before use, so a truncated, corrupted or hostile file fails with a
// clear message instead of a crash or a giant allocation.
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace SwitchNative.IO;

/// <summary>One tensor's entry in a safetensors header.</summary>
/// <param name="Name">Tensor name.</param>
/// <param name="DType">"F32", "I32", "F64" or "I64".</param>
/// <param name="Shape">Dimensions.</param>
/// <param name="Begin">First byte, relative to the data section.</param>
/// <param name="End">One past the last byte.</param>
public sealed record SafetensorsEntry(string Name, string DType, int[] Shape, long Begin, long End)
{
    /// <summary>Number of elements.</summary>
    public long ElementCount => Shape.Aggregate(1L, (product, dimension) => product * dimension);
}

/// <summary>A safetensors file read fully into memory and validated.</summary>
public sealed class SafetensorsFile
{
    /// <summary>Largest header accepted (the format's own limit is 100 MB).</summary>
    public const long MaximumHeaderBytes = 100_000_000;

    private readonly byte[] _bytes;
    private readonly long _dataStart;
    private readonly Dictionary<string, SafetensorsEntry> _entries;

    private SafetensorsFile(byte[] bytes, long dataStart, Dictionary<string, SafetensorsEntry> entries, IReadOnlyDictionary<string, string> metadata)
    {
        _bytes = bytes;
        _dataStart = dataStart;
        _entries = entries;
        Metadata = metadata;
    }

    /// <summary>The "__metadata__" strings (empty when absent).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Tensor names in header order.</summary>
    public IReadOnlyCollection<string> Names => _entries.Keys;

    /// <summary>Reads and validates <paramref name="path"/>.</summary>
    public static SafetensorsFile Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"no safetensors file at '{path}'", path);
        try
        {
            return Parse(File.ReadAllBytes(path));
        }
        catch (InvalidDataException error)
        {
            throw new InvalidDataException($"'{path}' is not a valid safetensors file: {error.Message}", error);
        }
    }

    /// <summary>Parses and validates a whole file held in memory.</summary>
    public static SafetensorsFile Parse(byte[] bytes)
    {
        if (bytes.Length < 8) throw new InvalidDataException($"{bytes.Length} bytes is too short for the 8-byte header length");
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (headerLength > MaximumHeaderBytes || headerLength > (ulong)(bytes.Length - 8))
            throw new InvalidDataException($"header length {headerLength} exceeds the file ({bytes.Length} bytes) or the {MaximumHeaderBytes}-byte limit");
        long dataStart = 8 + (long)headerLength;
        long dataLength = bytes.Length - dataStart;

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(bytes.AsMemory(8, (int)headerLength));
        }
        catch (JsonException error)
        {
            throw new InvalidDataException($"the header is not valid JSON ({error.Message})");
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object) throw new InvalidDataException("the header is not a JSON object");
            var entries = new Dictionary<string, SafetensorsEntry>(StringComparer.Ordinal);
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.Name == "__metadata__")
                {
                    if (property.Value.ValueKind != JsonValueKind.Object) throw new InvalidDataException("__metadata__ is not an object");
                    foreach (var item in property.Value.EnumerateObject())
                        metadata[item.Name] = item.Value.ValueKind == JsonValueKind.String ? item.Value.GetString()! : throw new InvalidDataException($"metadata '{item.Name}' is not a string");
                    continue;
                }
                entries.Add(property.Name, ParseEntry(property.Name, property.Value, dataLength));
            }
            // Byte ranges must not overlap (two names aliasing the same bytes is a corrupt file).
            var ordered = entries.Values.OrderBy(entry => entry.Begin).ThenBy(entry => entry.End).ToList();
            for (int i = 1; i < ordered.Count; i++)
                if (ordered[i].Begin < ordered[i - 1].End)
                    throw new InvalidDataException($"tensors '{ordered[i - 1].Name}' and '{ordered[i].Name}' overlap");
            return new SafetensorsFile(bytes, dataStart, entries, metadata);
        }
    }

    private static SafetensorsEntry ParseEntry(string name, JsonElement value, long dataLength)
    {
        if (value.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"entry '{name}' is not an object");
        if (!value.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
            throw new InvalidDataException($"entry '{name}' has no dtype");
        string dtype = dtypeElement.GetString()!;
        int elementSize = dtype switch { "F32" or "I32" => 4, "F64" or "I64" => 8, _ => throw new InvalidDataException($"entry '{name}' has unsupported dtype '{dtype}'") };
        if (!value.TryGetProperty("shape", out var shapeElement) || shapeElement.ValueKind != JsonValueKind.Array)
            throw new InvalidDataException($"entry '{name}' has no shape");
        var shape = new List<int>();
        long count = 1;
        foreach (var dimension in shapeElement.EnumerateArray())
        {
            if (!dimension.TryGetInt32(out int size) || size < 0) throw new InvalidDataException($"entry '{name}' has a bad dimension {dimension}");
            shape.Add(size);
            count = count > 0 && size > long.MaxValue / count ? throw new InvalidDataException($"entry '{name}' is too large") : count * size;
        }
        if (!value.TryGetProperty("data_offsets", out var offsets) || offsets.ValueKind != JsonValueKind.Array || offsets.GetArrayLength() != 2
            || !offsets[0].TryGetInt64(out long begin) || !offsets[1].TryGetInt64(out long end))
            throw new InvalidDataException($"entry '{name}' has no valid data_offsets");
        if (begin < 0 || end < begin || end > dataLength)
            throw new InvalidDataException($"entry '{name}' bytes [{begin}, {end}) fall outside the {dataLength}-byte data section");
        if (count > (end - begin) / elementSize || (end - begin) != count * elementSize)
            throw new InvalidDataException($"entry '{name}' of shape [{string.Join(", ", shape)}] {dtype} needs {count * elementSize} bytes, its offsets give {end - begin}");
        return new SafetensorsEntry(name, dtype, shape.ToArray(), begin, end);
    }

    /// <summary>The header entry for <paramref name="name"/>.</summary>
    public SafetensorsEntry Entry(string name) =>
        _entries.TryGetValue(name, out var entry) ? entry : throw new KeyNotFoundException($"the file has no tensor '{name}' (it has: {string.Join(", ", _entries.Keys)})");

    /// <summary>True if the file holds <paramref name="name"/>.</summary>
    public bool Contains(string name) => _entries.ContainsKey(name);

    /// <summary>The tensor's values as float32 (F32 as is; F64 rounded).</summary>
    public float[] ReadFloats(string name)
    {
        var entry = Entry(name);
        var bytes = Bytes(entry);
        return entry.DType switch
        {
            "F32" => MemoryMarshal.Cast<byte, float>(bytes).ToArray(),
            "F64" => MemoryMarshal.Cast<byte, double>(bytes).ToArray().Select(value => (float)value).ToArray(),
            _ => throw new InvalidDataException($"tensor '{name}' is {entry.DType}, not a float type"),
        };
    }

    /// <summary>The tensor's values as int32 (I32 as is; I64 must fit).</summary>
    public int[] ReadInts(string name)
    {
        var entry = Entry(name);
        var bytes = Bytes(entry);
        return entry.DType switch
        {
            "I32" => MemoryMarshal.Cast<byte, int>(bytes).ToArray(),
            "I64" => MemoryMarshal.Cast<byte, long>(bytes).ToArray().Select(value => checked((int)value)).ToArray(),
            _ => throw new InvalidDataException($"tensor '{name}' is {entry.DType}, not an integer type"),
        };
    }

    private ReadOnlySpan<byte> Bytes(SafetensorsEntry entry)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("safetensors data is little-endian");
        return _bytes.AsSpan((int)(_dataStart + entry.Begin), (int)(entry.End - entry.Begin));
    }
}
