// The suite on the reference device: the comparisons are trivially exact here, but the
// finite-difference, MathNet and property tests check the oracle itself.
using SwitchNative.Devices;
using SwitchNative.Devices.Reference;
using Xunit.Abstractions;

namespace SwitchNative.Tests.Devices;

public sealed class ReferenceDeviceOpTests(ITestOutputHelper output) : DeviceOpTests(output)
{
    protected override IDevice CreateDevice() => new ReferenceDevice();
}
