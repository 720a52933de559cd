// Every ILGPU kernel compiled by the PTX (CUDA) backend on a machine without a GPU. The CPU
// accelerator runs kernels as .NET code, so a kernel the GPU compiler rejects (a MathF call
// without the Algorithms intrinsics, a feature the backend lacks) would otherwise surface
// only on a GPU machine: that is how the missing EnableAlgorithms() was first found.
using System.Reflection;
using ILGPU;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using SwitchNative.Ilgpu;

namespace SwitchNative.Tests.Devices;

public sealed class IlgpuBackendCompilationTests
{
    /// <summary>The public static void methods of the static classes in SwitchNative.Ilgpu.Kernels: each is a kernel.</summary>
    public static TheoryData<string> KernelNames()
    {
        var names = new TheoryData<string>();
        foreach (var method in Kernels()) names.Add($"{method.DeclaringType!.Name}.{method.Name}");
        return names;
    }

    private static IEnumerable<MethodInfo> Kernels() =>
        typeof(IlgpuDevice).Assembly.GetTypes()
            .Where(type => type.Namespace == "SwitchNative.Ilgpu.Kernels" && type.IsAbstract && type.IsSealed)
            .SelectMany(type => type.GetMethods(BindingFlags.Public | BindingFlags.Static | BindingFlags.DeclaredOnly))
            .Where(method => method.ReturnType == typeof(void))
            .OrderBy(method => method.DeclaringType!.Name).ThenBy(method => method.Name);

    [Fact]
    public void The_kernel_list_is_complete()
    {
        // 6 kernel classes; a new class or a renamed namespace would silently shrink the theory.
        Assert.Equal(6, Kernels().Select(method => method.DeclaringType).Distinct().Count());
        Assert.True(Kernels().Count() >= 40, $"only {Kernels().Count()} kernels found");
    }

    [Theory]
    [MemberData(nameof(KernelNames))]
    public void Kernel_compiles_to_ptx(string name)
    {
        var method = Kernels().Single(candidate => $"{candidate.DeclaringType!.Name}.{candidate.Name}" == name);
        using var context = Context.Create(builder => builder.ApplyKernelSettings());
        // Asked for SM 9.0 (H100/H200) with PTX ISA 7.8 (CUDA 11.8+ drivers); ILGPU 1.5.3 emits
        // `.target sm_80` code for it, which the driver compiles for the chip at load.
        using var backend = new PTXBackend(context, new CudaCapabilityContext(CudaArchitecture.SM_90), CudaArchitecture.SM_90, CudaInstructionSet.ISA_78, nvvmAPI: null!);
        // A kernel whose first parameter is an index is implicitly grouped (the launcher picks
        // the group size); the others (the tiled GEMM) name their groups and shared memory.
        var implicitlyGrouped = method.GetParameters()[0].ParameterType.Name.StartsWith("Index", StringComparison.Ordinal);
        var entry = implicitlyGrouped ? EntryPointDescription.FromImplicitlyGroupedKernel(method) : EntryPointDescription.FromExplicitlyGroupedKernel(method);
        var specialization = KernelSpecialization.Empty;
        var compiled = (PTXCompiledKernel)backend.Compile(entry, specialization);
        Assert.Contains(".entry", compiled.PTXAssembly, StringComparison.Ordinal);
        Assert.Contains(".target sm_", compiled.PTXAssembly, StringComparison.Ordinal);
    }
}
