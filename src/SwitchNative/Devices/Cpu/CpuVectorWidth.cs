// Which SIMD path the CPU kernels take on this process. The JIT decides from the hardware and
// from DOTNET_EnableAVX512 / DOTNET_EnableAVX2; CI runs the kernel tests under each setting.
using System.Runtime.Intrinsics;

namespace SwitchNative.Devices.Cpu;

/// <summary>Reports the widest accelerated vector type.</summary>
public static class CpuVectorWidth
{
    /// <summary>"Vector512", "Vector256", "Vector128" or "scalar".</summary>
    public static string Current =>
        Vector512.IsHardwareAccelerated ? "Vector512" :
        Vector256.IsHardwareAccelerated ? "Vector256" :
        Vector128.IsHardwareAccelerated ? "Vector128" : "scalar";
}
