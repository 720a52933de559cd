using SwitchNative.Devices;

namespace SwitchNative.Tests.Devices;

public sealed class DeviceRegistryTests
{
    [Fact]
    public void Creates_devices_by_name_and_names_the_known_ones_on_a_miss()
    {
        var registry = DeviceRegistry.CreateDefault();
        using (var cpu = registry.Create("cpu", new DeviceOptions(ThreadCount: 1))) Assert.Equal("cpu", cpu.Name);
        using (var reference = registry.Create("REFERENCE")) Assert.Equal("reference", reference.Name);
        var error = Assert.Throws<ArgumentException>(() => registry.Create("tpu"));
        Assert.Contains("cpu, reference", error.Message);
        Assert.Throws<ArgumentException>(() => registry.Register("cpu", _ => throw new InvalidOperationException()));
    }
}
