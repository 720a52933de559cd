// The suite on the CPU SIMD device with two threads (the machine's cores).
using SwitchNative.Devices;
using SwitchNative.Devices.Cpu;
using Xunit.Abstractions;

namespace SwitchNative.Tests.Devices;

public sealed class CpuDeviceOpTests(ITestOutputHelper output) : DeviceOpTests(output)
{
    protected override IDevice CreateDevice() => new CpuDevice(threadCount: 2);
}
