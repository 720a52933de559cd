// Writing safetensors files atomically: the bytes go to a temporary file in the same folder,
// are flushed to disk, and the file is then renamed over the target, so a crash mid-write
// leaves the previous file intact, never a torn one.
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace SwitchNative.IO;

/// <summary>A named F32 or I32 tensor to write.</summary>
public sealed record SafetensorsTensor(string Name, int[] Shape, float[]? Floats = null, int[]? Ints = null)
{
    internal string DType => Floats is not null ? "F32" : "I32";
    internal ReadOnlySpan<byte> Bytes => Floats is not null ? MemoryMarshal.AsBytes(Floats.AsSpan()) : MemoryMarshal.AsBytes(Ints.AsSpan());
}

/// <summary>Writes safetensors files readable by Python's <c>safetensors</c> package.</summary>
public static class SafetensorsWriter
{
    /// <summary>Writes <paramref name="tensors"/> (in order) and <paramref name="metadata"/> to <paramref name="path"/> atomically.</summary>
    public static void Write(string path, IReadOnlyList<SafetensorsTensor> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        var header = new Dictionary<string, object> { ["__metadata__"] = metadata };
        long offset = 0;
        foreach (var tensor in tensors)
        {
            long count = tensor.Shape.Aggregate(1L, (product, dimension) => product * dimension);
            if (count != (tensor.Floats?.Length ?? tensor.Ints?.Length ?? -1))
                throw new ArgumentException($"tensor '{tensor.Name}' of shape [{string.Join(", ", tensor.Shape)}] holds {tensor.Floats?.Length ?? tensor.Ints?.Length} values");
            header[tensor.Name] = new { dtype = tensor.DType, shape = tensor.Shape, data_offsets = new[] { offset, offset + count * 4 } };
            offset += count * 4;
        }
        var json = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(header));
        // Pad the header with spaces to a multiple of 8 so the data is aligned (as the Python writer does).
        int padding = (8 - json.Length % 8) % 8;
        string directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        string temporary = Path.Combine(directory, $".{Path.GetFileName(path)}.{Environment.ProcessId}.tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
            {
                Span<byte> length = stackalloc byte[8];
                BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)(json.Length + padding));
                stream.Write(length);
                stream.Write(json);
                for (int i = 0; i < padding; i++) stream.WriteByte((byte)' ');
                foreach (var tensor in tensors) stream.Write(tensor.Bytes);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }
}
