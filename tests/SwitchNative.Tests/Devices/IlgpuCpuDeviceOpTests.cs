// The suite on the ILGPU device with ILGPU's CPU accelerator: the same kernels a GPU runs,
// executed without a GPU.
using SwitchNative.Devices;
using SwitchNative.Ilgpu;
using Xunit.Abstractions;

namespace SwitchNative.Tests.Devices;

public sealed class IlgpuCpuDeviceOpTests(ITestOutputHelper output) : DeviceOpTests(output)
{
    protected override IDevice CreateDevice() => new IlgpuDevice(IlgpuAcceleratorKind.Cpu);
}
