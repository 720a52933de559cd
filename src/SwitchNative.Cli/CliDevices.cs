// The devices the command line offers: reference, cpu, and the ILGPU accelerators.
using SwitchNative.Devices;
using SwitchNative.Ilgpu;

namespace SwitchNative.Cli;

public static class CliDevices
{
    /// <summary>A registry with reference, cpu, ilgpu-cpu, ilgpu-cuda and ilgpu-opencl.</summary>
    public static DeviceRegistry Registry() => DeviceRegistry.CreateDefault().AddIlgpu();

    /// <summary>Help text for --device options.</summary>
    public const string Help = "reference, cpu, ilgpu-cpu, ilgpu-cuda or ilgpu-opencl";
}
