// Device memory of the ILGPU device: one buffer of 32-bit words (F32 and I32 tensors are
// views of it), kept on the accelerator between ops.
using ILGPU;
using ILGPU.Runtime;
using SwitchNative.Devices;
using IDevice = SwitchNative.Devices.IDevice;
using SwitchNative.Tensors;

namespace SwitchNative.Ilgpu;

/// <summary>Accelerator memory holding ⌈bytes/4⌉ 32-bit words, zero-filled.</summary>
public sealed class IlgpuBuffer : DeviceBuffer
{
    internal IlgpuBuffer(IDevice device, Accelerator accelerator, long byteCount) : base(device, byteCount)
    {
        Memory = accelerator.Allocate1D<float>(Math.Max((byteCount + 3) / 4, 1));
        Memory.MemSetToZero();
    }

    internal MemoryBuffer1D<float, Stride1D.Dense> Memory { get; }

    /// <inheritdoc/>
    protected override void Release() => Memory.Dispose();
}
