// Host memory for the reference and CPU devices: native, 64-byte aligned (one cache line and
// one Vector512), zero-filled, outside the GC heap so kernels can hold raw pointers.
// Not on huge pages: asking Linux for transparent huge pages (madvise) for buffers of 2 MB or
// more sped our GEMMs and OpenBLAS's on the same tensors alike (1.00–1.05 and 0.99–1.06, 1
// thread, every `compare gemm` shape), and the GEMM's packing buffers alone 0.99–1.03: not worth
// a Linux-only native call.
using System.Runtime.InteropServices;
using SwitchNative.Tensors;

namespace SwitchNative.Devices.Host;

/// <summary>A 64-byte aligned block of native memory.</summary>
public sealed unsafe class HostBuffer : DeviceBuffer
{
    /// <summary>The alignment of every host buffer, in bytes.</summary>
    public const int Alignment = 64;

    /// <summary>Allocates <paramref name="byteCount"/> zeroed bytes.</summary>
    public HostBuffer(IDevice device, long byteCount) : base(device, byteCount)
    {
        Pointer = (byte*)NativeMemory.AlignedAlloc((nuint)Math.Max(byteCount, 1), Alignment);
        NativeMemory.Clear(Pointer, (nuint)byteCount);
    }

    /// <summary>Finalizer: frees the memory if Dispose was never called.</summary>
    ~HostBuffer() => Release();

    /// <summary>Start of the memory.</summary>
    public byte* Pointer { get; private set; }

    /// <inheritdoc/>
    protected override void Release()
    {
        if (Pointer == null) return;
        NativeMemory.AlignedFree(Pointer);
        Pointer = null;
    }
}
