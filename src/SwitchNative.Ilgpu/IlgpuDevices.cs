// Registers the ILGPU devices by name: ilgpu-cpu (always), ilgpu-cuda, ilgpu-opencl (each
// fails with a clear message when the machine has no such accelerator).
using SwitchNative.Devices;

namespace SwitchNative.Ilgpu;

/// <summary>ILGPU device names for a <see cref="DeviceRegistry"/>.</summary>
public static class IlgpuDevices
{
    /// <summary>Adds ilgpu-cpu, ilgpu-cuda and ilgpu-opencl to <paramref name="registry"/>.</summary>
    public static DeviceRegistry AddIlgpu(this DeviceRegistry registry)
    {
        registry.Register("ilgpu-cpu", _ => new IlgpuDevice(IlgpuAcceleratorKind.Cpu));
        registry.Register("ilgpu-cuda", _ => new IlgpuDevice(IlgpuAcceleratorKind.Cuda));
        registry.Register("ilgpu-opencl", _ => new IlgpuDevice(IlgpuAcceleratorKind.OpenCL));
        return registry;
    }
}
