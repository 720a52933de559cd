// Devices by name. Each registry instance holds its own factories (no global state); the
// default registry knows the devices of this assembly, and other assemblies (the ILGPU device)
// add theirs.
using SwitchNative.Devices.Cpu;
using SwitchNative.Devices.Reference;

namespace SwitchNative.Devices;

/// <summary>Creates devices by name ("reference", "cpu", ...).</summary>
public sealed class DeviceRegistry
{
    private readonly Dictionary<string, Func<DeviceOptions, IDevice>> _factories = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>A registry with the reference and CPU devices.</summary>
    public static DeviceRegistry CreateDefault()
    {
        var registry = new DeviceRegistry();
        registry.Register(ReferenceDevice.DeviceName, _ => new ReferenceDevice());
        registry.Register(CpuDevice.DeviceName, options => new CpuDevice(options.ThreadCount));
        return registry;
    }

    /// <summary>Adds a device factory under <paramref name="name"/>.</summary>
    public void Register(string name, Func<DeviceOptions, IDevice> factory)
    {
        if (!_factories.TryAdd(name, factory)) throw new ArgumentException($"a device named '{name}' is already registered");
    }

    /// <summary>The registered names, sorted.</summary>
    public IReadOnlyList<string> Names => _factories.Keys.Order(StringComparer.Ordinal).ToList();

    /// <summary>Creates the device called <paramref name="name"/>; unknown names fail with the list of known ones.</summary>
    public IDevice Create(string name, DeviceOptions? options = null)
    {
        if (!_factories.TryGetValue(name, out var factory))
            throw new ArgumentException($"unknown device '{name}'; known devices: {string.Join(", ", Names)}", nameof(name));
        return factory(options ?? new DeviceOptions());
    }
}

/// <summary>Settings a device factory may use.</summary>
/// <param name="ThreadCount">Threads for CPU devices; 0 means one per core.</param>
public sealed record DeviceOptions(int ThreadCount = 0);
