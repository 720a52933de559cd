// The last row of 12 × 32 tiles when fewer than 12 rows are left (1024 = 85·12 + 4 rows, 640 =
// 53·12 + 4, 2048 = 170·12 + 8): the 12-row kernel would spend 12 rows' FMAs on 4 or 8 rows and
// then copy the valid part out of a scratch tile. This kernel runs 4 or 8 rows of the same Ã
// micro-panel (still 12 values per depth step, so packing does not change) and B̃, with the
// same FMAs in the same order per element, so its results are bit-identical to the 12-row
// kernel's for those rows; it writes only the rows asked for.
// In-process, bit-identical, old time / new (medians of 25–41 alternating rounds, two to four
// runs): 1024³ 1.004–1.011 on 1 thread, 0.99–1.03 on 2; 640×512×2048 1.006–1.018 and 1.00–1.03;
// 640×2048×512 (its last row panel on the tiles that pack B̃) 1.004–1.013 and 1.014–1.017;
// 4096×2048×512 (4 rows of 4096) 0.996–1.005, as expected of a 0.1 % saving.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SwitchNative.Devices.Cpu.Gemm;

/// <summary>Rows 0…rows−1 (rows ≤ 8) of a 12×32 tile of Vector512 FMAs, reading TallMicroKernel512's panels.</summary>
internal static unsafe class ShortTallMicroKernel512
{
    /// <summary>Most rows this kernel runs; an edge with more runs the whole 12-row tile.</summary>
    public const int MaximumRows = 8;

    /// <summary>
    /// <c>C[i, j] (+)= Σ_p packedA[p·12 + i]·packedB[p·32 + j]</c> for i &lt; <paramref name="rows"/>
    /// (at most 8), j &lt; 32, as <see cref="TallMicroKernel512.Run"/> computes them.
    /// </summary>
    public static void Run(int depth, float* packedA, float* packedB, float* c, int ldc, int rows, bool accumulate, GemmSourcePrefetch prefetch)
    {
        if (rows > MaximumRows || rows < 1) throw new ArgumentOutOfRangeException(nameof(rows), rows, $"the short tile runs 1 to {MaximumRows} rows");
        if (rows <= 4) Run<FourRows>(depth, packedA, packedB, c, ldc, rows, accumulate, prefetch);
        else Run<EightRows>(depth, packedA, packedB, c, ldc, rows, accumulate, prefetch);
    }

    private interface IRowCount { static abstract int Rows { get; } }
    private readonly struct FourRows : IRowCount { public static int Rows => 4; }
    private readonly struct EightRows : IRowCount { public static int Rows => 8; }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Run<TRows>(int depth, float* packedA, float* packedB, float* c, int ldc, int rows, bool accumulate, GemmSourcePrefetch prefetch)
        where TRows : struct, IRowCount
    {
        const int panelRows = 12;
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
        float* prefetchRow = prefetch.Row;
        int prefetchLine = prefetch.Line, prefetchCount = prefetch.Count;
        for (int p = 0; p < depth; p++)
        {
            if (Sse.IsSupported)
            {
                Sse.Prefetch0(packedB + MicroKernelStream.AheadSteps * 32);
                Sse.Prefetch0(packedB + MicroKernelStream.AheadSteps * 32 + 16);
            }
            var b0 = Vector512.Load(packedB);
            var b1 = Vector512.Load(packedB + 16);
            var a = Vector512.Create(packedA[0]); c00 = Vector512.FusedMultiplyAdd(a, b0, c00); c01 = Vector512.FusedMultiplyAdd(a, b1, c01);
            a = Vector512.Create(packedA[1]); c10 = Vector512.FusedMultiplyAdd(a, b0, c10); c11 = Vector512.FusedMultiplyAdd(a, b1, c11);
            a = Vector512.Create(packedA[2]); c20 = Vector512.FusedMultiplyAdd(a, b0, c20); c21 = Vector512.FusedMultiplyAdd(a, b1, c21);
            a = Vector512.Create(packedA[3]); c30 = Vector512.FusedMultiplyAdd(a, b0, c30); c31 = Vector512.FusedMultiplyAdd(a, b1, c31);
            if (TRows.Rows > 4)
            {
                a = Vector512.Create(packedA[4]); c40 = Vector512.FusedMultiplyAdd(a, b0, c40); c41 = Vector512.FusedMultiplyAdd(a, b1, c41);
                a = Vector512.Create(packedA[5]); c50 = Vector512.FusedMultiplyAdd(a, b0, c50); c51 = Vector512.FusedMultiplyAdd(a, b1, c51);
                a = Vector512.Create(packedA[6]); c60 = Vector512.FusedMultiplyAdd(a, b0, c60); c61 = Vector512.FusedMultiplyAdd(a, b1, c61);
                a = Vector512.Create(packedA[7]); c70 = Vector512.FusedMultiplyAdd(a, b0, c70); c71 = Vector512.FusedMultiplyAdd(a, b1, c71);
            }
            packedA += panelRows;
            packedB += 32;
            if ((p & (GemmSourcePrefetch.StepsPerLine - 1)) == GemmSourcePrefetch.StepsPerLine - 1)
                GemmSourcePrefetch.Issue(ref prefetchRow, prefetch.Stride, prefetch.LinesPerRow, ref prefetchLine, ref prefetchCount);
        }
        MicroKernel512.Store(c, accumulate, c00, c01);
        if (rows > 1) MicroKernel512.Store(c + ldc, accumulate, c10, c11);
        if (rows > 2) MicroKernel512.Store(c + 2L * ldc, accumulate, c20, c21);
        if (rows > 3) MicroKernel512.Store(c + 3L * ldc, accumulate, c30, c31);
        if (rows > 4) MicroKernel512.Store(c + 4L * ldc, accumulate, c40, c41);
        if (rows > 5) MicroKernel512.Store(c + 5L * ldc, accumulate, c50, c51);
        if (rows > 6) MicroKernel512.Store(c + 6L * ldc, accumulate, c60, c61);
        if (rows > 7) MicroKernel512.Store(c + 7L * ldc, accumulate, c70, c71);
    }
}
