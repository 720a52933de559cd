// Drives an operator struct over a span: Vector512 while 16 elements remain (when the hardware
// accelerates it), then Vector256, Vector128, and a scalar tail. A tail never re-reads elements,
// so destination may alias a source.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace SwitchNative.Devices.Cpu.Kernels;

internal static class ElementwiseLoops
{
    /// <summary>y[i] = TOp(x[i]).</summary>
    public static void Unary<TOp>(ReadOnlySpan<float> x, Span<float> y) where TOp : IUnaryOperator
    {
        ref float source = ref MemoryMarshal.GetReference(x);
        ref float target = ref MemoryMarshal.GetReference(y);
        nuint length = (nuint)y.Length, i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i + 16 <= length; i += 16) TOp.Invoke(Vector512.LoadUnsafe(ref source, i)).StoreUnsafe(ref target, i);
        if (Vector256.IsHardwareAccelerated)
            for (; i + 8 <= length; i += 8) TOp.Invoke(Vector256.LoadUnsafe(ref source, i)).StoreUnsafe(ref target, i);
        if (Vector128.IsHardwareAccelerated)
            for (; i + 4 <= length; i += 4) TOp.Invoke(Vector128.LoadUnsafe(ref source, i)).StoreUnsafe(ref target, i);
        for (; i < length; i++) Unsafe.Add(ref target, i) = TOp.Invoke(Unsafe.Add(ref source, i));
    }

    /// <summary>z[i] = TOp(x[i], y[i]).</summary>
    public static void Binary<TOp>(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> z) where TOp : IBinaryOperator
    {
        ref float first = ref MemoryMarshal.GetReference(x);
        ref float second = ref MemoryMarshal.GetReference(y);
        ref float target = ref MemoryMarshal.GetReference(z);
        nuint length = (nuint)z.Length, i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i + 16 <= length; i += 16) TOp.Invoke(Vector512.LoadUnsafe(ref first, i), Vector512.LoadUnsafe(ref second, i)).StoreUnsafe(ref target, i);
        if (Vector256.IsHardwareAccelerated)
            for (; i + 8 <= length; i += 8) TOp.Invoke(Vector256.LoadUnsafe(ref first, i), Vector256.LoadUnsafe(ref second, i)).StoreUnsafe(ref target, i);
        if (Vector128.IsHardwareAccelerated)
            for (; i + 4 <= length; i += 4) TOp.Invoke(Vector128.LoadUnsafe(ref first, i), Vector128.LoadUnsafe(ref second, i)).StoreUnsafe(ref target, i);
        for (; i < length; i++) Unsafe.Add(ref target, i) = TOp.Invoke(Unsafe.Add(ref first, i), Unsafe.Add(ref second, i));
    }
}
