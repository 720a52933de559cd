using SwitchNative.Devices;
using SwitchNative.Devices.Reference;
using Xunit.Abstractions;

namespace SwitchNative.Tests.Nn;

public sealed class ReferenceSwitchLayerTests(ITestOutputHelper output) : SwitchLayerTests(output)
{
    protected override IDevice CreateDevice() => new ReferenceDevice();
}
