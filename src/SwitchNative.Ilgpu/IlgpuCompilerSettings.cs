// The ILGPU compiler settings every SwitchNative context uses, in one place so that the
// device and the backend compilation tests build kernels the same way.
using ILGPU;
using ILGPU.Algorithms;

namespace SwitchNative.Ilgpu;

/// <summary>Compiler settings shared by every ILGPU context SwitchNative creates.</summary>
public static class IlgpuCompilerSettings
{
    /// <summary>
    /// IEEE float math (no fast-math rewrites, so results stay close to the CPU devices), and
    /// ILGPU.Algorithms' intrinsics: the PTX and OpenCL backends have no exp/log/tanh of their
    /// own and refuse kernels that call MathF without them. ILGPU's CPU accelerator runs .NET's
    /// MathF either way.
    /// </summary>
    public static Context.Builder ApplyKernelSettings(this Context.Builder builder) =>
        builder.Math(MathMode.Default).EnableAlgorithms();
}
