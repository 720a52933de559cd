// The micro-kernel of StreamedTransposedBGemm: a tile of C held transposed, 16·V rows down (V
// vectors of an expert's tokens) by 6 columns across, over the whole depth K at once, for
// C = A·Bᵀ with Bᵀ [N, K] row-major (the Switch layer's x·Wᵀ, its weights stored [out, in]).
// Column j of the tile is row j of Bᵀ, read along K where it lies: each depth step loads the V
// vectors of Ã's column p (packed, from L2) and broadcasts Bᵀ[j, p] for each of the 6 rows, so
// each row of Bᵀ is read once per tile as one sequential stream, and the 6 rows together are
// 6·K contiguous floats. The accumulators stay in registers for all of K: no partial sums go
// back to memory, and each element is one chain of FMAs in order of p, whatever the tile.
//   64×6: 24 zmm accumulators + 4 Ã vectors + 1 broadcast, 10 loads per 24 FMAs.
//   48×6: 18 + 3 + 1, 9 loads per 18 FMAs.   32×6: 12 + 2 + 1, 8 loads per 12 FMAs.
// One loop serves the three heights (the JIT drops the FMAs of vectors a height does not have).
// All three are 6 columns wide, the dot-product tile's width, so that a product's last few rows
// can run on dot-product tiles over the same 6 rows of Bᵀ right after these, while they are in
// L1 (see StreamedTransposedBGemm). Each row of Bᵀ has its own pointer: 6 fit in the general
// registers with the loop's own (wider tiles, 8 or 12 pointers, would spill).
// On data in L1/L2 (Ã of 64 rows × K = 64–2048 from L2, the 6 rows of Bᵀ from L1), the 64×6
// tile runs at 166–180 GFLOP/s against an FMA peak of 168 measured alongside (1 thread).
// Each step also requests (to L2) the line `prefetch + p·prefetchStep`: the driver points it at
// a share of the next rows of Bᵀ, so they arrive from memory while this tile computes.
// The broadcasts index each row's own pointer by p (b_j[p]): one addressing mode, no multiply.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SwitchNative.Devices.Cpu.Gemm;

/// <summary>The streamed-Bᵀ micro-kernel: a transposed 64, 48 or 32 × 6 tile of C = A·Bᵀ over all of K.</summary>
internal static unsafe class StreamedTransposedBKernel
{
    /// <summary>Columns of C (rows of Bᵀ) a tile spans.</summary>
    public const int Columns = 6;

    /// <summary>
    /// <c>columnsOut[j·R + i] = Σ_p packedA[p·R + i] · bt[j·ldb + p]</c> over p &lt; depth, for
    /// i &lt; R = <paramref name="rows"/> (64, 48 or 32) and j &lt; <paramref name="columns"/> (≤ 6;
    /// the columns past it hold sums that are not to be used). Each step requests the line
    /// <c>prefetch + p·prefetchStep</c> (none when <paramref name="prefetchStep"/> is 0).
    /// </summary>
    public static void Run(int rows, int depth, float* packedA, float* bt, long ldb, int columns, float* prefetch, long prefetchStep, float* columnsOut)
    {
        if (columns < 1 || columns > Columns) throw new ArgumentOutOfRangeException(nameof(columns), columns, $"the tile spans 1–{Columns} columns");
        if (rows == 64) Run<FourVectors>(depth, packedA, bt, ldb, columns, prefetch, prefetchStep, columnsOut);
        else if (rows == 48) Run<ThreeVectors>(depth, packedA, bt, ldb, columns, prefetch, prefetchStep, columnsOut);
        else if (rows == 32) Run<TwoVectors>(depth, packedA, bt, ldb, columns, prefetch, prefetchStep, columnsOut);
        else throw new ArgumentOutOfRangeException(nameof(rows), rows, "the tile spans 64, 48 or 32 rows");
    }

    private interface IRowVectors { static abstract int Vectors { get; } }
    private readonly struct TwoVectors : IRowVectors { public static int Vectors => 2; }
    private readonly struct ThreeVectors : IRowVectors { public static int Vectors => 3; }
    private readonly struct FourVectors : IRowVectors { public static int Vectors => 4; }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Run<TRows>(int depth, float* packedA, float* bt, long ldb, int columns, float* prefetch, long prefetchStep, float* columnsOut)
        where TRows : struct, IRowVectors
    {
        // Missing columns of a ragged tile repeat the last row of Bᵀ; their sums are not used.
        float* b0 = bt, b1 = bt + Math.Min(1, columns - 1) * ldb, b2 = bt + Math.Min(2, columns - 1) * ldb, b3 = bt + Math.Min(3, columns - 1) * ldb;
        float* b4 = bt + Math.Min(4, columns - 1) * ldb, b5 = bt + Math.Min(5, columns - 1) * ldb;
        Vector512<float> c0_0 = default, c0_1 = default, c0_2 = default, c0_3 = default;
        Vector512<float> c1_0 = default, c1_1 = default, c1_2 = default, c1_3 = default;
        Vector512<float> c2_0 = default, c2_1 = default, c2_2 = default, c2_3 = default;
        Vector512<float> c3_0 = default, c3_1 = default, c3_2 = default, c3_3 = default;
        Vector512<float> c4_0 = default, c4_1 = default, c4_2 = default, c4_3 = default;
        Vector512<float> c5_0 = default, c5_1 = default, c5_2 = default, c5_3 = default;
        Vector512<float> a2 = default, a3 = default;
        int rows = 16 * TRows.Vectors;
        for (long p = 0; p < depth; p++)
        {
            if (prefetchStep != 0) Sse.Prefetch1(prefetch + p * prefetchStep);
            var a0 = Vector512.Load(packedA); var a1 = Vector512.Load(packedA + 16);
            if (TRows.Vectors > 2) a2 = Vector512.Load(packedA + 32);
            if (TRows.Vectors > 3) a3 = Vector512.Load(packedA + 48);
            var y = Vector512.Create(b0[p]); c0_0 = Vector512.FusedMultiplyAdd(a0, y, c0_0); c0_1 = Vector512.FusedMultiplyAdd(a1, y, c0_1);
            if (TRows.Vectors > 2) c0_2 = Vector512.FusedMultiplyAdd(a2, y, c0_2);
            if (TRows.Vectors > 3) c0_3 = Vector512.FusedMultiplyAdd(a3, y, c0_3);
            y = Vector512.Create(b1[p]); c1_0 = Vector512.FusedMultiplyAdd(a0, y, c1_0); c1_1 = Vector512.FusedMultiplyAdd(a1, y, c1_1);
            if (TRows.Vectors > 2) c1_2 = Vector512.FusedMultiplyAdd(a2, y, c1_2);
            if (TRows.Vectors > 3) c1_3 = Vector512.FusedMultiplyAdd(a3, y, c1_3);
            y = Vector512.Create(b2[p]); c2_0 = Vector512.FusedMultiplyAdd(a0, y, c2_0); c2_1 = Vector512.FusedMultiplyAdd(a1, y, c2_1);
            if (TRows.Vectors > 2) c2_2 = Vector512.FusedMultiplyAdd(a2, y, c2_2);
            if (TRows.Vectors > 3) c2_3 = Vector512.FusedMultiplyAdd(a3, y, c2_3);
            y = Vector512.Create(b3[p]); c3_0 = Vector512.FusedMultiplyAdd(a0, y, c3_0); c3_1 = Vector512.FusedMultiplyAdd(a1, y, c3_1);
            if (TRows.Vectors > 2) c3_2 = Vector512.FusedMultiplyAdd(a2, y, c3_2);
            if (TRows.Vectors > 3) c3_3 = Vector512.FusedMultiplyAdd(a3, y, c3_3);
            y = Vector512.Create(b4[p]); c4_0 = Vector512.FusedMultiplyAdd(a0, y, c4_0); c4_1 = Vector512.FusedMultiplyAdd(a1, y, c4_1);
            if (TRows.Vectors > 2) c4_2 = Vector512.FusedMultiplyAdd(a2, y, c4_2);
            if (TRows.Vectors > 3) c4_3 = Vector512.FusedMultiplyAdd(a3, y, c4_3);
            y = Vector512.Create(b5[p]); c5_0 = Vector512.FusedMultiplyAdd(a0, y, c5_0); c5_1 = Vector512.FusedMultiplyAdd(a1, y, c5_1);
            if (TRows.Vectors > 2) c5_2 = Vector512.FusedMultiplyAdd(a2, y, c5_2);
            if (TRows.Vectors > 3) c5_3 = Vector512.FusedMultiplyAdd(a3, y, c5_3);
            packedA += rows;
        }
        Store<TRows>(columnsOut + 0 * rows, c0_0, c0_1, c0_2, c0_3);
        Store<TRows>(columnsOut + 1 * rows, c1_0, c1_1, c1_2, c1_3);
        Store<TRows>(columnsOut + 2 * rows, c2_0, c2_1, c2_2, c2_3);
        Store<TRows>(columnsOut + 3 * rows, c3_0, c3_1, c3_2, c3_3);
        Store<TRows>(columnsOut + 4 * rows, c4_0, c4_1, c4_2, c4_3);
        Store<TRows>(columnsOut + 5 * rows, c5_0, c5_1, c5_2, c5_3);
    }

    // One column of the tile: its 16·V rows.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<TRows>(float* column, Vector512<float> rows0, Vector512<float> rows1, Vector512<float> rows2, Vector512<float> rows3) where TRows : struct, IRowVectors
    {
        rows0.Store(column);
        rows1.Store(column + 16);
        if (TRows.Vectors > 2) rows2.Store(column + 32);
        if (TRows.Vectors > 3) rows3.Store(column + 48);
    }
}
