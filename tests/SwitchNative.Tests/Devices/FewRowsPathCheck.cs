// One few-rows product run on the packed GEMM's streamed path of one vector width (AVX-512, or
// AVX2 + FMA) and checked against the exact product; shared by the streamed-B and dot-product
// tests, which differ in the layout of B (row-major, or transposed) and so in the path it takes.
using System.Runtime.Intrinsics.X86;
using SwitchNative.Devices.Cpu;
using SwitchNative.Devices.Cpu.Gemm;
using SwitchNative.Tests.Infrastructure;

namespace SwitchNative.Tests.Devices;

internal static unsafe class FewRowsPathCheck
{
    /// <summary>
    /// C = 1.5·A·op(B) + β·C for uniform A, B and C (C all NaN when β = 0, which must ignore it) on
    /// <paramref name="threads"/> threads, within the float32 rounding bound of the exact product.
    /// Where the machine lacks the width's instructions, checks instead that the path refuses to be
    /// switched on. <paramref name="takesPath"/> asserts, before the run, which path the product takes.
    /// </summary>
    public static void MatchesExactProduct(int m, int k, int n, float beta, int threads, bool wide, bool transposedB, int seed, Action<GemmProblem>? takesPath = null)
    {
        using var parallel = new CpuParallel(threads);
        var path = wide ? GemmFewRowsPath.StreamedVector512 : GemmFewRowsPath.StreamedVector256;
        if (wide ? !Avx512F.IsSupported : !(Avx2.IsSupported && Fma.IsSupported))
        {
            Assert.Throws<ArgumentException>(() => new PackedGemm<MicroKernel256, MicroKernel256>(parallel, path));
            return;
        }
        using PackedGemm<TallMicroKernel512, MicroKernel512>? gemm512 = wide ? new(parallel, path) : null;
        using PackedGemm<MicroKernel256, MicroKernel256>? gemm256 = wide ? null : new(parallel, path);
        var a = TestData.Uniform(m * k, seed: seed);
        var b = TestData.Uniform(k * n, seed: seed + 1);
        var c = beta == 0f ? Enumerable.Repeat(float.NaN, m * n).ToArray() : TestData.Uniform(m * n, seed: seed + 2);
        const float alpha = 1.5f;
        var exact = new ExactProduct(a, b, transposedB, c, m, k, n, alpha, beta);
        fixed (float* left = a, right = b, output = c)
        {
            var problem = new GemmProblem(new GemmOperand(left, m, k, false), new GemmOperand(right, k, n, transposedB), alpha, beta, output, m, n, k);
            takesPath?.Invoke(problem);
            if (gemm512 is not null) gemm512.RunBatch([problem]);
            else gemm256!.RunBatch([problem]);
        }
        exact.AssertWithinRounding(c, $"{path} {m}×{k}×{n} Bᵀ={transposedB} β={beta}");
    }
}
