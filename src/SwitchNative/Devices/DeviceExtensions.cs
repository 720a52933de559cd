// Conveniences over IDevice for callers and tests: host arrays in and out, and the common
// GEMM forms spelled as names.
using SwitchNative.Tensors;

namespace SwitchNative.Devices;

/// <summary>Helpers that compose <see cref="IDevice"/> ops.</summary>
public static class DeviceExtensions
{
    /// <summary>Allocates a tensor of <paramref name="shape"/> and fills it from host values.</summary>
    public static Tensor FromArray<T>(this IDevice device, ReadOnlySpan<T> values, Shape shape) where T : unmanaged
    {
        var tensor = device.Allocate(shape, DTypeInfo.Of<T>());
        device.CopyFromHost(values, tensor);
        return tensor;
    }

    /// <summary>Copies a tensor to a new host array.</summary>
    public static T[] ToArray<T>(this IDevice device, Tensor tensor) where T : unmanaged
    {
        var values = new T[tensor.ElementCount];
        device.CopyToHost<T>(tensor, values);
        return values;
    }

    /// <summary>Copies an F32 tensor to a new host array.</summary>
    public static float[] ToArray(this IDevice device, Tensor tensor) => device.ToArray<float>(tensor);

    /// <summary>The single value of a 1-element F32 tensor.</summary>
    public static float ToScalar(this IDevice device, Tensor tensor)
    {
        OpChecks.HasCount(tensor, nameof(tensor), 1);
        Span<float> value = stackalloc float[1];
        device.CopyToHost<float>(tensor, value);
        return value[0];
    }

    /// <summary><c>C = A·B</c>.</summary>
    public static void MatMul(this IDevice device, Tensor a, Tensor b, Tensor c) => device.Gemm(a, false, b, false, 1f, 0f, c);
}
