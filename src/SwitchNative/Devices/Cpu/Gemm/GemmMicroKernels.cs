// The three register tiles. Each k step loads one row of B̃ (NR floats), broadcasts each of the
// MR values of Ã's column and issues MR·NR/width FMAs into accumulators that never leave
// registers: that is the whole arithmetic of the GEMM. Each step also prefetches the B̃ row
// AheadSteps steps on (products with many rows stream B̃ from L2; elsewhere the line is already
// in L1 and the hint costs one load slot), and every fourth step requests one cache line of
// the next B block's source (GemmSourcePrefetch), when given any.
//   Vector512: 12×32, 24 zmm accumulators + 2 B vectors + 1 broadcast (of 32 registers), for
//              products with many rows; 8×32 (16 accumulators) for those with few rows.
//              Both run at the FMA peak on L1-resident panels, but in a whole product the B̃
//              micro-panel streams from L2, and the taller tile reads it once per 24 FMAs
//              instead of once per 16: 2048³ on 1 thread went 103/99 → 113/111 GFLOP/s, 1024³
//              125/140 → 133/141 (paired runs). An expert's ~64 rows fill 8-row tiles better
//              (64 = 5⅓ tiles of 12: a tenth of the work would be padding).
//              A 24×16 tile (OpenBLAS's shape here: half the B̃ bytes per FMA, 25 loads per
//              24 FMAs) ran 0.88–0.90× the 12×32 on 1024³, 2048³, 640×2048×512, Xᵀ·dY and
//              4096×512×2048 (1 thread, rotating order, 21 rounds; bit-identical results), and
//              prefetching B̃ with the non-temporal hint, to keep Ã's lines in L1, 0.30–0.90×.
//              A 14×32 tile (28 accumulators + 2 B vectors + 1 broadcast, no spills: 1/7 fewer
//              B̃ bytes per FMA) ran 0.99–1.01× the 12×32 on the same shapes (two runs).
//              Prefetching B̃ 8 or 32 steps ahead instead of 16, one line per step instead of
//              two, and the k loop unrolled by two: all 0.97–1.04× (two runs, the noise).
//   Vector256: 6×16, 12 ymm accumulators + 2 B vectors + 1 broadcast (of 16 registers).
//   Vector128: 4×8,   8 xmm accumulators + 2 B vectors + 1 broadcast.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SwitchNative.Devices.Cpu.Gemm;

/// <summary>How far ahead the micro-kernels prefetch the packed B micro-panel they read.</summary>
internal static class MicroKernelStream
{
    /// <summary>Depth steps between a B̃ row's prefetch and its use (16 steps of the 8×32 tile ≈ 130 cycles, L2's latency with room).</summary>
    public const int AheadSteps = 16;
}

/// <summary>12×32 tile of Vector512 FMAs (AVX-512): products with many rows.</summary>
/// <remarks>
/// The last row panel of a product, when at most 8 of its 12 rows are real (1024 = 85·12 + 4 rows,
/// 640 = 53·12 + 4, 2048 = 170·12 + 8), runs only its first 4 or 8 rows (<see cref="RunRows"/>):
/// the same Ã and B̃ panels and the same FMAs per element, so the same bits, for a third or two
/// thirds of the FMAs, written straight into C instead of through a scratch tile. In-process,
/// bit-identical, old time / new (medians of 25–41 alternating rounds, two to four runs): 1024³
/// 1.004–1.011 on 1 thread, 0.99–1.03 on 2; 640×512×2048 1.006–1.018 and 1.00–1.03;
/// 640×2048×512 (its last row panel on the tiles that pack B̃) 1.004–1.013 and 1.014–1.017;
/// 4096×2048×512 (4 rows of 4096) 0.996–1.005, as expected of a 0.1 % saving.
/// </remarks>
internal readonly unsafe struct TallMicroKernel512 : IGemmMicroKernel
{
    public static int Rows => 12;
    public static int Columns => 32;

    /// <summary>Fewest rows of a panel worth the whole tile: up to this many, <see cref="RunRows"/> runs 4 or 8.</summary>
    public const int MaximumShortRows = 8;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Run(int depth, float* packedA, float* packedB, float* c, int ldc, bool accumulate, GemmSourcePrefetch prefetch)
    {
        var none = GemmPanelCopy.None;
        Run<TwelveRows, PrefetchesSource>(depth, packedA, packedB, c, ldc, 12, accumulate, prefetch, ref none);
    }

    /// <summary>
    /// <see cref="Run"/> that also copies steps of the next Ã micro-panel from A's rows, one every
    /// <see cref="GemmPanelCopy.StepsPerCopy"/> depth steps while <paramref name="copy"/> has any left
    /// (see GemmPanelCopy.cs); <paramref name="copy"/> is advanced past what was copied.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void RunCopying(int depth, float* packedA, float* packedB, float* c, int ldc, bool accumulate, ref GemmPanelCopy copy) =>
        Run<TwelveRows, CopiesNextPanel>(depth, packedA, packedB, c, ldc, 12, accumulate, GemmSourcePrefetch.None, ref copy);

    /// <summary>
    /// Rows 0…<paramref name="rows"/>−1 of the tile (1 to 12) from the same 12-row Ã panel, as
    /// <see cref="Run"/> computes them; rows past them are neither computed (up to a multiple of
    /// 4) nor written.
    /// </summary>
    public static void RunRows(int depth, float* packedA, float* packedB, float* c, int ldc, int rows, bool accumulate, GemmSourcePrefetch prefetch)
    {
        if (rows < 1 || rows > 12) throw new ArgumentOutOfRangeException(nameof(rows), rows, "a 12×32 tile runs 1 to 12 rows");
        var none = GemmPanelCopy.None;
        if (rows <= 4) Run<FourRows, PrefetchesSource>(depth, packedA, packedB, c, ldc, rows, accumulate, prefetch, ref none);
        else if (rows <= MaximumShortRows) Run<EightRows, PrefetchesSource>(depth, packedA, packedB, c, ldc, rows, accumulate, prefetch, ref none);
        else Run<TwelveRows, PrefetchesSource>(depth, packedA, packedB, c, ldc, rows, accumulate, prefetch, ref none);
    }

    private interface IRowCount { static abstract int Rows { get; } }
    private readonly struct FourRows : IRowCount { public static int Rows => 4; }
    private readonly struct EightRows : IRowCount { public static int Rows => 8; }
    private readonly struct TwelveRows : IRowCount { public static int Rows => 12; }

    // What a tile does beside its FMAs: prefetch a source's lines, or copy the next Ã panel's steps.
    private interface ISideWork { static abstract bool CopiesPanel { get; } }
    private readonly struct PrefetchesSource : ISideWork { public static bool CopiesPanel => false; }
    private readonly struct CopiesNextPanel : ISideWork { public static bool CopiesPanel => true; }

    // The tile's loop for TRows.Rows of its rows (the JIT drops the others' FMAs for each TRows);
    // the first `rows` of them are written. TSideWork picks the side work (the JIT drops the other).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Run<TRows, TSideWork>(int depth, float* packedA, float* packedB, float* c, int ldc, int rows, bool accumulate, GemmSourcePrefetch prefetch, ref GemmPanelCopy copy)
        where TRows : struct, IRowCount
        where TSideWork : struct, ISideWork
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
        Vector512<float> c80 = default, c81 = default, c90 = default, c91 = default, c100 = default, c101 = default, c110 = default, c111 = default;
        float* prefetchRow = prefetch.Row;
        int prefetchLine = prefetch.Line, prefetchCount = prefetch.Count;
        float* copySource = copy.Source, copyTarget = copy.Target;
        long copyStride = copy.SourceStride;
        int copySteps = copy.Steps;
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
            if (TRows.Rows > 8)
            {
                a = Vector512.Create(packedA[8]); c80 = Vector512.FusedMultiplyAdd(a, b0, c80); c81 = Vector512.FusedMultiplyAdd(a, b1, c81);
                a = Vector512.Create(packedA[9]); c90 = Vector512.FusedMultiplyAdd(a, b0, c90); c91 = Vector512.FusedMultiplyAdd(a, b1, c91);
                a = Vector512.Create(packedA[10]); c100 = Vector512.FusedMultiplyAdd(a, b0, c100); c101 = Vector512.FusedMultiplyAdd(a, b1, c101);
                a = Vector512.Create(packedA[11]); c110 = Vector512.FusedMultiplyAdd(a, b0, c110); c111 = Vector512.FusedMultiplyAdd(a, b1, c111);
            }
            packedA += 12;
            packedB += 32;
            if (TSideWork.CopiesPanel)
            {
                if ((p & (GemmPanelCopy.StepsPerCopy - 1)) == GemmPanelCopy.StepsPerCopy - 1 && copySteps > 0)
                    GemmPanelCopy.Step(ref copySource, copyStride, ref copyTarget, ref copySteps);
            }
            else if ((p & (GemmSourcePrefetch.StepsPerLine - 1)) == GemmSourcePrefetch.StepsPerLine - 1)
                GemmSourcePrefetch.Issue(ref prefetchRow, prefetch.Stride, prefetch.LinesPerRow, ref prefetchLine, ref prefetchCount);
        }
        if (TSideWork.CopiesPanel) copy = new GemmPanelCopy(copySource, copyStride, copyTarget, copySteps);
        MicroKernel512.Store(c, accumulate, c00, c01);
        if (rows > 1) MicroKernel512.Store(c + ldc, accumulate, c10, c11);
        if (rows > 2) MicroKernel512.Store(c + 2L * ldc, accumulate, c20, c21);
        if (rows > 3) MicroKernel512.Store(c + 3L * ldc, accumulate, c30, c31);
        if (rows > 4) MicroKernel512.Store(c + 4L * ldc, accumulate, c40, c41);
        if (rows > 5) MicroKernel512.Store(c + 5L * ldc, accumulate, c50, c51);
        if (rows > 6) MicroKernel512.Store(c + 6L * ldc, accumulate, c60, c61);
        if (rows > 7) MicroKernel512.Store(c + 7L * ldc, accumulate, c70, c71);
        if (rows > 8) MicroKernel512.Store(c + 8L * ldc, accumulate, c80, c81);
        if (rows > 9) MicroKernel512.Store(c + 9L * ldc, accumulate, c90, c91);
        if (rows > 10) MicroKernel512.Store(c + 10L * ldc, accumulate, c100, c101);
        if (rows > 11) MicroKernel512.Store(c + 11L * ldc, accumulate, c110, c111);
    }
}

/// <summary>8×32 tile of Vector512 FMAs (AVX-512): products with few rows.</summary>
internal readonly unsafe struct MicroKernel512 : IGemmMicroKernel
{
    public static int Rows => 8;
    public static int Columns => 32;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int depth, float* packedA, float* packedB, float* c, int ldc, bool accumulate, GemmSourcePrefetch prefetch)
    {
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
            a = Vector512.Create(packedA[4]); c40 = Vector512.FusedMultiplyAdd(a, b0, c40); c41 = Vector512.FusedMultiplyAdd(a, b1, c41);
            a = Vector512.Create(packedA[5]); c50 = Vector512.FusedMultiplyAdd(a, b0, c50); c51 = Vector512.FusedMultiplyAdd(a, b1, c51);
            a = Vector512.Create(packedA[6]); c60 = Vector512.FusedMultiplyAdd(a, b0, c60); c61 = Vector512.FusedMultiplyAdd(a, b1, c61);
            a = Vector512.Create(packedA[7]); c70 = Vector512.FusedMultiplyAdd(a, b0, c70); c71 = Vector512.FusedMultiplyAdd(a, b1, c71);
            packedA += 8;
            packedB += 32;
            if ((p & (GemmSourcePrefetch.StepsPerLine - 1)) == GemmSourcePrefetch.StepsPerLine - 1)
                GemmSourcePrefetch.Issue(ref prefetchRow, prefetch.Stride, prefetch.LinesPerRow, ref prefetchLine, ref prefetchCount);
        }
        Store(c, accumulate, c00, c01); c += ldc;
        Store(c, accumulate, c10, c11); c += ldc;
        Store(c, accumulate, c20, c21); c += ldc;
        Store(c, accumulate, c30, c31); c += ldc;
        Store(c, accumulate, c40, c41); c += ldc;
        Store(c, accumulate, c50, c51); c += ldc;
        Store(c, accumulate, c60, c61); c += ldc;
        Store(c, accumulate, c70, c71);
    }

    /// <summary>Writes (or adds) one row of a tile: two vectors at row, row + 16.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Store(float* row, bool accumulate, Vector512<float> left, Vector512<float> right)
    {
        if (accumulate)
        {
            left += Vector512.Load(row);
            right += Vector512.Load(row + 16);
        }
        left.Store(row);
        right.Store(row + 16);
    }
}

/// <summary>6×16 tile of Vector256 FMAs (AVX2 + FMA).</summary>
internal readonly unsafe struct MicroKernel256 : IGemmMicroKernel
{
    public static int Rows => 6;
    public static int Columns => 16;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int depth, float* packedA, float* packedB, float* c, int ldc, bool accumulate, GemmSourcePrefetch prefetch)
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        float* prefetchRow = prefetch.Row;
        int prefetchLine = prefetch.Line, prefetchCount = prefetch.Count;
        for (int p = 0; p < depth; p++)
        {
            if (Sse.IsSupported) Sse.Prefetch0(packedB + MicroKernelStream.AheadSteps * 16);
            var b0 = Vector256.Load(packedB);
            var b1 = Vector256.Load(packedB + 8);
            var a = Vector256.Create(packedA[0]); c00 = Vector256.MultiplyAddEstimate(a, b0, c00); c01 = Vector256.MultiplyAddEstimate(a, b1, c01);
            a = Vector256.Create(packedA[1]); c10 = Vector256.MultiplyAddEstimate(a, b0, c10); c11 = Vector256.MultiplyAddEstimate(a, b1, c11);
            a = Vector256.Create(packedA[2]); c20 = Vector256.MultiplyAddEstimate(a, b0, c20); c21 = Vector256.MultiplyAddEstimate(a, b1, c21);
            a = Vector256.Create(packedA[3]); c30 = Vector256.MultiplyAddEstimate(a, b0, c30); c31 = Vector256.MultiplyAddEstimate(a, b1, c31);
            a = Vector256.Create(packedA[4]); c40 = Vector256.MultiplyAddEstimate(a, b0, c40); c41 = Vector256.MultiplyAddEstimate(a, b1, c41);
            a = Vector256.Create(packedA[5]); c50 = Vector256.MultiplyAddEstimate(a, b0, c50); c51 = Vector256.MultiplyAddEstimate(a, b1, c51);
            packedA += 6;
            packedB += 16;
            if ((p & (GemmSourcePrefetch.StepsPerLine - 1)) == GemmSourcePrefetch.StepsPerLine - 1)
                GemmSourcePrefetch.Issue(ref prefetchRow, prefetch.Stride, prefetch.LinesPerRow, ref prefetchLine, ref prefetchCount);
        }
        Store(c, accumulate, c00, c01); c += ldc;
        Store(c, accumulate, c10, c11); c += ldc;
        Store(c, accumulate, c20, c21); c += ldc;
        Store(c, accumulate, c30, c31); c += ldc;
        Store(c, accumulate, c40, c41); c += ldc;
        Store(c, accumulate, c50, c51);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* row, bool accumulate, Vector256<float> left, Vector256<float> right)
    {
        if (accumulate)
        {
            left += Vector256.Load(row);
            right += Vector256.Load(row + 8);
        }
        left.Store(row);
        right.Store(row + 8);
    }
}

/// <summary>4×8 tile of Vector128 multiply-adds (SSE; FMA where the machine has it).</summary>
internal readonly unsafe struct MicroKernel128 : IGemmMicroKernel
{
    public static int Rows => 4;
    public static int Columns => 8;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int depth, float* packedA, float* packedB, float* c, int ldc, bool accumulate, GemmSourcePrefetch prefetch)
    {
        Vector128<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        float* prefetchRow = prefetch.Row;
        int prefetchLine = prefetch.Line, prefetchCount = prefetch.Count;
        for (int p = 0; p < depth; p++)
        {
            if (Sse.IsSupported && (p & 1) == 0) Sse.Prefetch0(packedB + MicroKernelStream.AheadSteps * 8);
            var b0 = Vector128.Load(packedB);
            var b1 = Vector128.Load(packedB + 4);
            var a = Vector128.Create(packedA[0]); c00 = Vector128.MultiplyAddEstimate(a, b0, c00); c01 = Vector128.MultiplyAddEstimate(a, b1, c01);
            a = Vector128.Create(packedA[1]); c10 = Vector128.MultiplyAddEstimate(a, b0, c10); c11 = Vector128.MultiplyAddEstimate(a, b1, c11);
            a = Vector128.Create(packedA[2]); c20 = Vector128.MultiplyAddEstimate(a, b0, c20); c21 = Vector128.MultiplyAddEstimate(a, b1, c21);
            a = Vector128.Create(packedA[3]); c30 = Vector128.MultiplyAddEstimate(a, b0, c30); c31 = Vector128.MultiplyAddEstimate(a, b1, c31);
            packedA += 4;
            packedB += 8;
            if ((p & (GemmSourcePrefetch.StepsPerLine - 1)) == GemmSourcePrefetch.StepsPerLine - 1)
                GemmSourcePrefetch.Issue(ref prefetchRow, prefetch.Stride, prefetch.LinesPerRow, ref prefetchLine, ref prefetchCount);
        }
        Store(c, accumulate, c00, c01); c += ldc;
        Store(c, accumulate, c10, c11); c += ldc;
        Store(c, accumulate, c20, c21); c += ldc;
        Store(c, accumulate, c30, c31);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* row, bool accumulate, Vector128<float> left, Vector128<float> right)
    {
        if (accumulate)
        {
            left += Vector128.Load(row);
            right += Vector128.Load(row + 4);
        }
        left.Store(row);
        right.Store(row + 4);
    }
}
