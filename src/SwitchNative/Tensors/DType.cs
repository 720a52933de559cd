// Element types a tensor can hold. F32 carries all math; I32 carries token ids, expert indices
// and slots. Adding BF16 later means a new member here plus kernels that read it: nothing else
// in the tensor core assumes four-byte floats.
namespace SwitchNative.Tensors;

/// <summary>The element type of a tensor.</summary>
public enum DType
{
    /// <summary>IEEE 754 binary32.</summary>
    F32,
    /// <summary>Signed 32-bit integer (token ids, expert indices, slots).</summary>
    I32,
}

/// <summary>Facts about each <see cref="DType"/>.</summary>
public static class DTypeInfo
{
    /// <summary>Bytes one element occupies.</summary>
    public static int SizeInBytes(this DType dtype) => dtype switch
    {
        DType.F32 => 4,
        DType.I32 => 4,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "unknown dtype"),
    };

    /// <summary>The dtype whose elements are the CLR type <typeparamref name="T"/>.</summary>
    public static DType Of<T>() where T : unmanaged =>
        typeof(T) == typeof(float) ? DType.F32 :
        typeof(T) == typeof(int) ? DType.I32 :
        throw new NotSupportedException($"no dtype holds elements of type {typeof(T).Name}");

    /// <summary>The name used in safetensors headers ("F32", "I32").</summary>
    public static string SafetensorsName(this DType dtype) => dtype switch
    {
        DType.F32 => "F32",
        DType.I32 => "I32",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "unknown dtype"),
    };
}
