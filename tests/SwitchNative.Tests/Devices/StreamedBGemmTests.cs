// The streamed-B few-rows GEMM checked on its own, against a double-precision product, for both
// kernel sets (AVX-512 and AVX2 + FMA) wherever the machine runs them, whichever path the CPU
// device happens to pick: row counts around its row units and its 64/48/32/16-row (16/8-row)
// kernels, and the fused group-and-residual pass of 17–24 rows; depths around its 64-step
// blocks; column counts that leave ragged tiles of every kernel width and cross its 2048-column
// block; and the β forms.
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using SwitchNative.Devices.Cpu;
using SwitchNative.Devices.Cpu.Gemm;
using SwitchNative.Tests.Infrastructure;

namespace SwitchNative.Tests.Devices;

public sealed unsafe class StreamedBGemmTests
{
    public static IEnumerable<object[]> Shapes() =>
        from shape in new (int M, int K, int N)[]
        {
            (1, 1, 1), (15, 63, 5), (16, 64, 6), (17, 65, 7), (33, 130, 37), (48, 64, 8), (64, 200, 96),
            (65, 10, 100), (80, 70, 13), (100, 129, 50), (150, 33, 70), (192, 64, 48), (40, 20, 2100),
            (33, 70, 2050), // N ≥ 2048: KC 32, so three depth blocks (32 + 32 + 6), two column blocks
            // 17–24 rows: the 16-row group and the residual rows in one pass (AVX-512), over whole
            // 16-column tiles only, one tile and a ragged rest, and across the column block.
            (18, 64, 16), (24, 100, 45), (21, 70, 2050),
            // Residual rows on the 2-, 4- and 8-row tiles past 64-row groups, across the column block.
            (66, 40, 75), (67, 70, 2050), (72, 33, 40),
        }
        from beta in new[] { 0f, 1f }
        from threads in new[] { 1, 2 }
        from wide in new[] { true, false }
        select new object[] { shape.M, shape.K, shape.N, beta, threads, wide };

    [Theory]
    [MemberData(nameof(Shapes))]
    // wide: the AVX-512 kernels, else the AVX2 + FMA ones.
    public void Matches_a_double_precision_product(int m, int k, int n, float beta, int threads, bool wide)
    {
        using var parallel = new CpuParallel(threads);
        var path = wide ? GemmFewRowsPath.StreamedVector512 : GemmFewRowsPath.StreamedVector256;
        if (wide ? !Avx512F.IsSupported : !(Avx2.IsSupported && Fma.IsSupported))
        {
            // Where the machine lacks the instructions, the path must refuse to be switched on.
            Assert.Throws<ArgumentException>(() => new PackedGemm<MicroKernel256, MicroKernel256>(parallel, path));
            return;
        }
        using PackedGemm<TallMicroKernel512, MicroKernel512>? gemm512 = wide ? new(parallel, path) : null;
        using PackedGemm<MicroKernel256, MicroKernel256>? gemm256 = wide ? null : new(parallel, path);
        var a = TestData.Uniform(m * k, seed: 31);
        var b = TestData.Uniform(k * n, seed: 32);
        // β = 0 must ignore what C holds, NaN included.
        var c = beta == 0f ? Enumerable.Repeat(float.NaN, m * n).ToArray() : TestData.Uniform(m * n, seed: 33);
        const float alpha = 1.5f;
        var exact = new ExactProduct(a, b, transposedB: false, c, m, k, n, alpha, beta);
        fixed (float* left = a, right = b, output = c)
        {
            var problem = new GemmProblem(new GemmOperand(left, m, k, false), new GemmOperand(right, k, n, false), alpha, beta, output, m, n, k);
            if (gemm512 is not null) gemm512.RunBatch([problem]);
            else gemm256!.RunBatch([problem]);
        }
        exact.AssertWithinRounding(c, $"{path} {m}×{k}×{n} β={beta}");
    }
}
