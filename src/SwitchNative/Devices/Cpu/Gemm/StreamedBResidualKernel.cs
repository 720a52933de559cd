// The last few rows of a streamed-B product, without padding them to a vector of rows.
//
// The streamed kernels hold C transposed, rows along the vectors, so an expert's rows are padded
// to a multiple of 16 (AVX-512): 65 rows cost as much as 80, 21 as much as 32. The benchmark's
// uneven experts (22/44/66/88/110 rows, one of 48, one empty) spent 10.5 % of their FMAs on
// padding (4576 rows computed for 4096); with this kernel, 2.3 % (4194). The rows left
// over after the last whole vector, up to 14 of them (see StreamedBVector512.ResidualRows), run
// here instead, in the ordinary orientation: the rows broadcast from a packed Ã panel of R rows,
// B's row p loaded in place as two vectors of 32 columns. Its FMAs grow with R rows, not 16, and
// B's block is still in L2 from the row groups before. The tile goes to a row-major scratch
// block that the driver adds into C once all depth blocks are summed, as the transposed groups do.
// R is 2, 4, 6, 8, 10, 12 or 14, the fewest that hold the rows: the smaller tiles read the same two
// lines of B per step for fewer FMAs (6 added on the Zen 5). Against the 8-row tile for every
// count (on the Xeon, in-process, old time / new, three runs; bit-identical): 64 experts of 66
// rows 1.00–1.08, of 67 rows 1.04–1.06, of 65 and 68 rows 1.06–1.09; the uneven benchmark
// 1.01–1.07 on 1 thread, 1.01–1.02 on 2. On the Xeon a 12-row tile (for 9–12 rows instead of
// padding them to 16) ran 44-row experts at 0.99 and was not kept; on the Zen 5, tiles of 10–14
// rows (the 14-row one: 28 accumulators, 2 B vectors, 1 broadcast of the 32 registers) for 9–14
// rows past the groups gained. In-process, 64 experts × 512 × 2048, padded time / residual time,
// 1 / 2 threads, one run each: 28 rows (16 + 12) 1.02 / 1.03, 44 (32 + 12) 1.07 / 1.07, 46
// (32 + 14) 1.01 / 1.05, 60 (48 + 12) 1.08 / 1.06, 62 1.06 / 1.05, 76 (64 + 12) 1.04 / 1.03, 78
// 1.02 / 1.02, 92 (80 + 12) 1.05 / 1.06, 94 1.05 / 1.03, 108 (96 + 12) 1.02 / 1.02, 110 1.01 /
// 1.02; the uneven benchmark 1.008–1.013 / 1.006–1.018 (three runs; bit-identical). Only 13–14
// rows past a single 16-row group stay padded: 30 rows measured 0.96–0.97 as 16 + 14.
// The 8-row tile is MicroKernel512's 8×32 with B read in place (row stride, prefetch two tiles
// on) instead of from a packed panel: copying each 64×32 piece of B into a panel and calling
// MicroKernel512 measured 0.94–0.97× this (in-process, 64 experts of 21, 65 and 86 rows and
// the uneven E = 64 benchmark).
// Two residual rows fused into the 64×6 tile (one more accumulator: the two rows × 8 columns,
// B's 8 values broadcast as a 256-bit pair, 6 of each 8 lanes kept) instead of their own 2×128
// pass over the chunk from L2: 65, 66 and 130 rows and the uneven experts 0.989–1.003 (1 and
// 2 threads; bit-identical). On its own, from cache, the fused tile ran 5 % below the 64×6 one
// (one FMA more per 24, three quarters of its lanes used): the FMAs cost what the pass did.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SwitchNative.Devices.Cpu.Gemm;

/// <summary>The row count of a residual tile, as a type, so that each count gets its own code.</summary>
internal interface IResidualRowCount
{
    static abstract int Rows { get; }
}

internal readonly struct ResidualRows2 : IResidualRowCount { public static int Rows => 2; }
internal readonly struct ResidualRows4 : IResidualRowCount { public static int Rows => 4; }
internal readonly struct ResidualRows6 : IResidualRowCount { public static int Rows => 6; }
internal readonly struct ResidualRows8 : IResidualRowCount { public static int Rows => 8; }
internal readonly struct ResidualRows10 : IResidualRowCount { public static int Rows => 10; }
internal readonly struct ResidualRows12 : IResidualRowCount { public static int Rows => 12; }
internal readonly struct ResidualRows14 : IResidualRowCount { public static int Rows => 14; }

/// <summary>R rows × 32 columns of C (not transposed), B read in place (AVX-512).</summary>
internal static unsafe class StreamedBResidualKernel
{
    /// <summary>Most rows of a tile (and of its packed Ã panel; rows past the valid ones are zeros).</summary>
    public const int MaximumRows = 14;

    /// <summary>Columns of the tile: two vectors.</summary>
    public const int Columns = 32;

    /// <summary>
    /// <c>output[i·outputStride + c] (+)= Σ_p packedA[p·R + i] · b[p·rowStride + c]</c> for i &lt; R and
    /// c &lt; 32 (overwrites when <paramref name="accumulate"/> is false).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run<TRows>(int depth, float* packedA, float* b, long rowStride, long prefetchOffset, float* output, long outputStride, bool accumulate) where TRows : struct, IResidualRowCount
    {
        Vector512<float> c00 = default, c01 = default;
        Vector512<float> c10 = default, c11 = default;
        Vector512<float> c20 = default, c21 = default;
        Vector512<float> c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default;
        Vector512<float> c50 = default, c51 = default;
        Vector512<float> c60 = default, c61 = default;
        Vector512<float> c70 = default, c71 = default;
        Vector512<float> c80 = default, c81 = default;
        Vector512<float> c90 = default, c91 = default;
        Vector512<float> c100 = default, c101 = default;
        Vector512<float> c110 = default, c111 = default;
        Vector512<float> c120 = default, c121 = default;
        Vector512<float> c130 = default, c131 = default;
        for (int p = 0; p < depth; p++)
        {
            if (Sse.IsSupported) Sse.Prefetch1(b + prefetchOffset);
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + 16);
            { var a = Vector512.Create(packedA[0]); c00 = Vector512.FusedMultiplyAdd(a, b0, c00); c01 = Vector512.FusedMultiplyAdd(a, b1, c01); }
            { var a = Vector512.Create(packedA[1]); c10 = Vector512.FusedMultiplyAdd(a, b0, c10); c11 = Vector512.FusedMultiplyAdd(a, b1, c11); }
            if (TRows.Rows > 2) { var a = Vector512.Create(packedA[2]); c20 = Vector512.FusedMultiplyAdd(a, b0, c20); c21 = Vector512.FusedMultiplyAdd(a, b1, c21); }
            if (TRows.Rows > 3) { var a = Vector512.Create(packedA[3]); c30 = Vector512.FusedMultiplyAdd(a, b0, c30); c31 = Vector512.FusedMultiplyAdd(a, b1, c31); }
            if (TRows.Rows > 4) { var a = Vector512.Create(packedA[4]); c40 = Vector512.FusedMultiplyAdd(a, b0, c40); c41 = Vector512.FusedMultiplyAdd(a, b1, c41); }
            if (TRows.Rows > 5) { var a = Vector512.Create(packedA[5]); c50 = Vector512.FusedMultiplyAdd(a, b0, c50); c51 = Vector512.FusedMultiplyAdd(a, b1, c51); }
            if (TRows.Rows > 6) { var a = Vector512.Create(packedA[6]); c60 = Vector512.FusedMultiplyAdd(a, b0, c60); c61 = Vector512.FusedMultiplyAdd(a, b1, c61); }
            if (TRows.Rows > 7) { var a = Vector512.Create(packedA[7]); c70 = Vector512.FusedMultiplyAdd(a, b0, c70); c71 = Vector512.FusedMultiplyAdd(a, b1, c71); }
            if (TRows.Rows > 8) { var a = Vector512.Create(packedA[8]); c80 = Vector512.FusedMultiplyAdd(a, b0, c80); c81 = Vector512.FusedMultiplyAdd(a, b1, c81); }
            if (TRows.Rows > 9) { var a = Vector512.Create(packedA[9]); c90 = Vector512.FusedMultiplyAdd(a, b0, c90); c91 = Vector512.FusedMultiplyAdd(a, b1, c91); }
            if (TRows.Rows > 10) { var a = Vector512.Create(packedA[10]); c100 = Vector512.FusedMultiplyAdd(a, b0, c100); c101 = Vector512.FusedMultiplyAdd(a, b1, c101); }
            if (TRows.Rows > 11) { var a = Vector512.Create(packedA[11]); c110 = Vector512.FusedMultiplyAdd(a, b0, c110); c111 = Vector512.FusedMultiplyAdd(a, b1, c111); }
            if (TRows.Rows > 12) { var a = Vector512.Create(packedA[12]); c120 = Vector512.FusedMultiplyAdd(a, b0, c120); c121 = Vector512.FusedMultiplyAdd(a, b1, c121); }
            if (TRows.Rows > 13) { var a = Vector512.Create(packedA[13]); c130 = Vector512.FusedMultiplyAdd(a, b0, c130); c131 = Vector512.FusedMultiplyAdd(a, b1, c131); }
            packedA += TRows.Rows;
            b += rowStride;
        }
        MicroKernel512.Store(output + 0 * outputStride, accumulate, c00, c01);
        MicroKernel512.Store(output + 1 * outputStride, accumulate, c10, c11);
        if (TRows.Rows > 2) MicroKernel512.Store(output + 2 * outputStride, accumulate, c20, c21);
        if (TRows.Rows > 3) MicroKernel512.Store(output + 3 * outputStride, accumulate, c30, c31);
        if (TRows.Rows > 4) MicroKernel512.Store(output + 4 * outputStride, accumulate, c40, c41);
        if (TRows.Rows > 5) MicroKernel512.Store(output + 5 * outputStride, accumulate, c50, c51);
        if (TRows.Rows > 6) MicroKernel512.Store(output + 6 * outputStride, accumulate, c60, c61);
        if (TRows.Rows > 7) MicroKernel512.Store(output + 7 * outputStride, accumulate, c70, c71);
        if (TRows.Rows > 8) MicroKernel512.Store(output + 8 * outputStride, accumulate, c80, c81);
        if (TRows.Rows > 9) MicroKernel512.Store(output + 9 * outputStride, accumulate, c90, c91);
        if (TRows.Rows > 10) MicroKernel512.Store(output + 10 * outputStride, accumulate, c100, c101);
        if (TRows.Rows > 11) MicroKernel512.Store(output + 11 * outputStride, accumulate, c110, c111);
        if (TRows.Rows > 12) MicroKernel512.Store(output + 12 * outputStride, accumulate, c120, c121);
        if (TRows.Rows > 13) MicroKernel512.Store(output + 13 * outputStride, accumulate, c130, c131);
    }

    /// <summary>Columns of the two-row tile: eight vectors.</summary>
    public const int TwoRowColumns = 128;

    /// <summary>
    /// <c>output[i·outputStride + c] (+)= Σ_p packedA[p·2 + i] · b[p·rowStride + c]</c> for i &lt; 2 and
    /// c &lt; 128: the 2-row tile over four times the columns. At 32 columns its 4 accumulators are
    /// 4 chains of one FMA a step each, so a step waits on the last one's latency; 16 keep both
    /// FMA pipes busy. Each element is summed as in <see cref="Run{TRows}"/> (one FMA per step, in
    /// order of p), so the results are the same bits.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RunTwoRows(int depth, float* packedA, float* b, long rowStride, long prefetchOffset, float* output, long outputStride, bool accumulate)
    {
        Vector512<float> c00 = default, c01 = default, c02 = default, c03 = default, c04 = default, c05 = default, c06 = default, c07 = default;
        Vector512<float> c10 = default, c11 = default, c12 = default, c13 = default, c14 = default, c15 = default, c16 = default, c17 = default;
        for (int p = 0; p < depth; p++)
        {
            if (Sse.IsSupported) Sse.Prefetch1(b + prefetchOffset);
            var a0 = Vector512.Create(packedA[0]);
            var a1 = Vector512.Create(packedA[1]);
            var b0 = Vector512.Load(b);
            c00 = Vector512.FusedMultiplyAdd(a0, b0, c00); c10 = Vector512.FusedMultiplyAdd(a1, b0, c10);
            var b1 = Vector512.Load(b + 16);
            c01 = Vector512.FusedMultiplyAdd(a0, b1, c01); c11 = Vector512.FusedMultiplyAdd(a1, b1, c11);
            var b2 = Vector512.Load(b + 32);
            c02 = Vector512.FusedMultiplyAdd(a0, b2, c02); c12 = Vector512.FusedMultiplyAdd(a1, b2, c12);
            var b3 = Vector512.Load(b + 48);
            c03 = Vector512.FusedMultiplyAdd(a0, b3, c03); c13 = Vector512.FusedMultiplyAdd(a1, b3, c13);
            var b4 = Vector512.Load(b + 64);
            c04 = Vector512.FusedMultiplyAdd(a0, b4, c04); c14 = Vector512.FusedMultiplyAdd(a1, b4, c14);
            var b5 = Vector512.Load(b + 80);
            c05 = Vector512.FusedMultiplyAdd(a0, b5, c05); c15 = Vector512.FusedMultiplyAdd(a1, b5, c15);
            var b6 = Vector512.Load(b + 96);
            c06 = Vector512.FusedMultiplyAdd(a0, b6, c06); c16 = Vector512.FusedMultiplyAdd(a1, b6, c16);
            var b7 = Vector512.Load(b + 112);
            c07 = Vector512.FusedMultiplyAdd(a0, b7, c07); c17 = Vector512.FusedMultiplyAdd(a1, b7, c17);
            packedA += 2;
            b += rowStride;
        }
        MicroKernel512.Store(output, accumulate, c00, c01);
        MicroKernel512.Store(output + 32, accumulate, c02, c03);
        MicroKernel512.Store(output + 64, accumulate, c04, c05);
        MicroKernel512.Store(output + 96, accumulate, c06, c07);
        MicroKernel512.Store(output + outputStride, accumulate, c10, c11);
        MicroKernel512.Store(output + outputStride + 32, accumulate, c12, c13);
        MicroKernel512.Store(output + outputStride + 64, accumulate, c14, c15);
        MicroKernel512.Store(output + outputStride + 96, accumulate, c16, c17);
    }
}
