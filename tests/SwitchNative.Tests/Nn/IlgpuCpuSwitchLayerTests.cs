using SwitchNative.Devices;
using SwitchNative.Ilgpu;
using Xunit.Abstractions;

namespace SwitchNative.Tests.Nn;

public sealed class IlgpuCpuSwitchLayerTests(ITestOutputHelper output) : SwitchLayerTests(output)
{
    protected override IDevice CreateDevice() => new IlgpuDevice(IlgpuAcceleratorKind.Cpu);

    // Each ILGPU CPU-accelerator launch costs milliseconds: 8 coordinates per tensor keep the test short.
    protected override int GradientSamples => 8;
}
