using SwitchNative.Devices;
using SwitchNative.Devices.Cpu;
using Xunit.Abstractions;

namespace SwitchNative.Tests.Nn;

public sealed class CpuSwitchLayerTests(ITestOutputHelper output) : SwitchLayerTests(output)
{
    protected override IDevice CreateDevice() => new CpuDevice(threadCount: 2);
}
