// The micro-kernels of the streamed-B GEMM (see StreamedBGemm): a tile of C held transposed,
// 16·V rows down (V vectors of 16 rows: the rows of an expert's tokens) by NR columns across.
// Each depth step loads the V vectors of Ã's column p (packed, from L1) and broadcasts NR values
// of B's row p straight from B's own row-major storage (b + p·rowStride + c). Every value of B
// is loaded once per tile and used by V FMAs, so B needs no copy and no reuse from L1: it
// streams, and only its cache lines shared by neighbouring tiles
// are read again (from L2). The C tile is stored column by column (16·V floats each): the driver
// transposes it into C once all depth blocks are summed.
//   64×6: 24 zmm accumulators + 4 Ã vectors + 1 broadcast, 10 loads per 24 FMAs.
//   48×8: 24 accumulators + 3 + 1, 11 loads per 24 FMAs.
//   32×12: 24 accumulators + 2 + 1, 14 loads per 24 FMAs.
//   16×16: 16 accumulators + 1 + 1, 17 loads per 16 FMAs.
// Vector256 (AVX2 + FMA, 16 ymm registers), vectors of 8 rows:
//   16×6: 12 ymm accumulators + 2 Ã vectors + 1 broadcast, 8 loads per 12 FMAs.
//   8×12: 12 accumulators + 1 + 1, 13 loads per 12 FMAs.
// On L1-resident data all four run at 87–100 % of the FMA peak. The broadcasts use constant
// offsets (b[c]): with a column stride as a parameter, the JIT recomputed c·stride with an imul
// per broadcast every step, and the 16×16 kernel ran at 46 % of peak, the 32×12 at 87 %.
// Each step also prefetches (to L2) the line prefetchOffset floats past the broadcast values, in
// the same row of B, which the hardware prefetchers do not fetch (consecutive steps are a whole
// row of B apart), and the step's piece of the rows the tile sweeps (StreamedBSweep; none but
// the first group's tiles of a tall expert sweep).
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SwitchNative.Devices.Cpu.Gemm;

/// <summary>A streamed-B micro-kernel: a transposed R × NR tile of C, B read in place.</summary>
internal unsafe interface IStreamedBKernel
{
    /// <summary>Rows of C the tile spans: V vectors of rows.</summary>
    static abstract int Rows { get; }

    /// <summary>NR: columns of C the tile spans.</summary>
    static abstract int Columns { get; }

    /// <summary>
    /// <c>out[c·R + i] (+)= Σ_p packedA[p·R + i] · b[p·rowStride + c]</c> for i &lt; R (the
    /// tile's rows) and c &lt; NR (overwrites when <paramref name="accumulate"/> is false),
    /// prefetching <paramref name="next"/>'s rows a piece a step as it goes.
    /// </summary>
    static abstract void Run(int depth, float* packedA, float* b, long rowStride, long prefetchOffset, StreamedBSweep next, float* columnsOut, bool accumulate);
}

/// <summary>Stores one column of a streamed-B tile.</summary>
internal static unsafe class StreamedBColumn
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(float* column, bool accumulate, Vector256<float> rows0)
    {
        if (accumulate) rows0 += Vector256.Load(column);
        rows0.Store(column);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(float* column, bool accumulate, Vector256<float> rows0, Vector256<float> rows1)
    {
        Store(column, accumulate, rows0);
        Store(column + 8, accumulate, rows1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(float* column, bool accumulate, Vector512<float> rows0)
    {
        if (accumulate) rows0 += Vector512.Load(column);
        rows0.Store(column);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(float* column, bool accumulate, Vector512<float> rows0, Vector512<float> rows1)
    {
        Store(column, accumulate, rows0);
        Store(column + 16, accumulate, rows1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(float* column, bool accumulate, Vector512<float> rows0, Vector512<float> rows1, Vector512<float> rows2)
    {
        Store(column, accumulate, rows0, rows1);
        Store(column + 32, accumulate, rows2);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(float* column, bool accumulate, Vector512<float> rows0, Vector512<float> rows1, Vector512<float> rows2, Vector512<float> rows3)
    {
        Store(column, accumulate, rows0, rows1);
        Store(column + 32, accumulate, rows2, rows3);
    }
}

/// <summary>64 rows × 6 columns: 4 vectors of rows per broadcast value of B.</summary>
internal readonly unsafe struct StreamedBKernel64x6 : IStreamedBKernel
{
    public static int Rows => 64;
    public static int Columns => 6;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int depth, float* packedA, float* b, long rowStride, long prefetchOffset, StreamedBSweep next, float* columnsOut, bool accumulate)
    {
        Vector512<float> c0_0 = default, c0_1 = default, c0_2 = default, c0_3 = default;
        Vector512<float> c1_0 = default, c1_1 = default, c1_2 = default, c1_3 = default;
        Vector512<float> c2_0 = default, c2_1 = default, c2_2 = default, c2_3 = default;
        Vector512<float> c3_0 = default, c3_1 = default, c3_2 = default, c3_3 = default;
        Vector512<float> c4_0 = default, c4_1 = default, c4_2 = default, c4_3 = default;
        Vector512<float> c5_0 = default, c5_1 = default, c5_2 = default, c5_3 = default;
        float* sweep = next.First; long sweepGap = next.Gap; int sweepRows = next.Rows;
        for (int p = 0; p < depth; p++)
        {
            if (Sse.IsSupported)
            {
                Sse.Prefetch1(b + prefetchOffset);
                StreamedBSweep.Issue(sweep, sweepGap, sweepRows);
            }
            var a0 = Vector512.Load(packedA + 0); var a1 = Vector512.Load(packedA + 16); var a2 = Vector512.Load(packedA + 32); var a3 = Vector512.Load(packedA + 48);
            var b0 = Vector512.Create(b[0]); c0_0 = Vector512.FusedMultiplyAdd(a0, b0, c0_0); c0_1 = Vector512.FusedMultiplyAdd(a1, b0, c0_1); c0_2 = Vector512.FusedMultiplyAdd(a2, b0, c0_2); c0_3 = Vector512.FusedMultiplyAdd(a3, b0, c0_3);
            var b1 = Vector512.Create(b[1]); c1_0 = Vector512.FusedMultiplyAdd(a0, b1, c1_0); c1_1 = Vector512.FusedMultiplyAdd(a1, b1, c1_1); c1_2 = Vector512.FusedMultiplyAdd(a2, b1, c1_2); c1_3 = Vector512.FusedMultiplyAdd(a3, b1, c1_3);
            var b2 = Vector512.Create(b[2]); c2_0 = Vector512.FusedMultiplyAdd(a0, b2, c2_0); c2_1 = Vector512.FusedMultiplyAdd(a1, b2, c2_1); c2_2 = Vector512.FusedMultiplyAdd(a2, b2, c2_2); c2_3 = Vector512.FusedMultiplyAdd(a3, b2, c2_3);
            var b3 = Vector512.Create(b[3]); c3_0 = Vector512.FusedMultiplyAdd(a0, b3, c3_0); c3_1 = Vector512.FusedMultiplyAdd(a1, b3, c3_1); c3_2 = Vector512.FusedMultiplyAdd(a2, b3, c3_2); c3_3 = Vector512.FusedMultiplyAdd(a3, b3, c3_3);
            var b4 = Vector512.Create(b[4]); c4_0 = Vector512.FusedMultiplyAdd(a0, b4, c4_0); c4_1 = Vector512.FusedMultiplyAdd(a1, b4, c4_1); c4_2 = Vector512.FusedMultiplyAdd(a2, b4, c4_2); c4_3 = Vector512.FusedMultiplyAdd(a3, b4, c4_3);
            var b5 = Vector512.Create(b[5]); c5_0 = Vector512.FusedMultiplyAdd(a0, b5, c5_0); c5_1 = Vector512.FusedMultiplyAdd(a1, b5, c5_1); c5_2 = Vector512.FusedMultiplyAdd(a2, b5, c5_2); c5_3 = Vector512.FusedMultiplyAdd(a3, b5, c5_3);
            packedA += 64;
            b += rowStride;
            sweep += StreamedBSweep.FloatsPerStep;
        }
        StreamedBColumn.Store(columnsOut + 0, accumulate, c0_0, c0_1, c0_2, c0_3);
        StreamedBColumn.Store(columnsOut + 64, accumulate, c1_0, c1_1, c1_2, c1_3);
        StreamedBColumn.Store(columnsOut + 128, accumulate, c2_0, c2_1, c2_2, c2_3);
        StreamedBColumn.Store(columnsOut + 192, accumulate, c3_0, c3_1, c3_2, c3_3);
        StreamedBColumn.Store(columnsOut + 256, accumulate, c4_0, c4_1, c4_2, c4_3);
        StreamedBColumn.Store(columnsOut + 320, accumulate, c5_0, c5_1, c5_2, c5_3);
    }
}

/// <summary>48 rows × 8 columns.</summary>
internal readonly unsafe struct StreamedBKernel48x8 : IStreamedBKernel
{
    public static int Rows => 48;
    public static int Columns => 8;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int depth, float* packedA, float* b, long rowStride, long prefetchOffset, StreamedBSweep next, float* columnsOut, bool accumulate)
    {
        Vector512<float> c0_0 = default, c0_1 = default, c0_2 = default;
        Vector512<float> c1_0 = default, c1_1 = default, c1_2 = default;
        Vector512<float> c2_0 = default, c2_1 = default, c2_2 = default;
        Vector512<float> c3_0 = default, c3_1 = default, c3_2 = default;
        Vector512<float> c4_0 = default, c4_1 = default, c4_2 = default;
        Vector512<float> c5_0 = default, c5_1 = default, c5_2 = default;
        Vector512<float> c6_0 = default, c6_1 = default, c6_2 = default;
        Vector512<float> c7_0 = default, c7_1 = default, c7_2 = default;
        float* sweep = next.First; long sweepGap = next.Gap; int sweepRows = next.Rows;
        for (int p = 0; p < depth; p++)
        {
            if (Sse.IsSupported)
            {
                Sse.Prefetch1(b + prefetchOffset);
                StreamedBSweep.Issue(sweep, sweepGap, sweepRows);
            }
            var a0 = Vector512.Load(packedA + 0); var a1 = Vector512.Load(packedA + 16); var a2 = Vector512.Load(packedA + 32);
            var b0 = Vector512.Create(b[0]); c0_0 = Vector512.FusedMultiplyAdd(a0, b0, c0_0); c0_1 = Vector512.FusedMultiplyAdd(a1, b0, c0_1); c0_2 = Vector512.FusedMultiplyAdd(a2, b0, c0_2);
            var b1 = Vector512.Create(b[1]); c1_0 = Vector512.FusedMultiplyAdd(a0, b1, c1_0); c1_1 = Vector512.FusedMultiplyAdd(a1, b1, c1_1); c1_2 = Vector512.FusedMultiplyAdd(a2, b1, c1_2);
            var b2 = Vector512.Create(b[2]); c2_0 = Vector512.FusedMultiplyAdd(a0, b2, c2_0); c2_1 = Vector512.FusedMultiplyAdd(a1, b2, c2_1); c2_2 = Vector512.FusedMultiplyAdd(a2, b2, c2_2);
            var b3 = Vector512.Create(b[3]); c3_0 = Vector512.FusedMultiplyAdd(a0, b3, c3_0); c3_1 = Vector512.FusedMultiplyAdd(a1, b3, c3_1); c3_2 = Vector512.FusedMultiplyAdd(a2, b3, c3_2);
            var b4 = Vector512.Create(b[4]); c4_0 = Vector512.FusedMultiplyAdd(a0, b4, c4_0); c4_1 = Vector512.FusedMultiplyAdd(a1, b4, c4_1); c4_2 = Vector512.FusedMultiplyAdd(a2, b4, c4_2);
            var b5 = Vector512.Create(b[5]); c5_0 = Vector512.FusedMultiplyAdd(a0, b5, c5_0); c5_1 = Vector512.FusedMultiplyAdd(a1, b5, c5_1); c5_2 = Vector512.FusedMultiplyAdd(a2, b5, c5_2);
            var b6 = Vector512.Create(b[6]); c6_0 = Vector512.FusedMultiplyAdd(a0, b6, c6_0); c6_1 = Vector512.FusedMultiplyAdd(a1, b6, c6_1); c6_2 = Vector512.FusedMultiplyAdd(a2, b6, c6_2);
            var b7 = Vector512.Create(b[7]); c7_0 = Vector512.FusedMultiplyAdd(a0, b7, c7_0); c7_1 = Vector512.FusedMultiplyAdd(a1, b7, c7_1); c7_2 = Vector512.FusedMultiplyAdd(a2, b7, c7_2);
            packedA += 48;
            b += rowStride;
            sweep += StreamedBSweep.FloatsPerStep;
        }
        StreamedBColumn.Store(columnsOut + 0, accumulate, c0_0, c0_1, c0_2);
        StreamedBColumn.Store(columnsOut + 48, accumulate, c1_0, c1_1, c1_2);
        StreamedBColumn.Store(columnsOut + 96, accumulate, c2_0, c2_1, c2_2);
        StreamedBColumn.Store(columnsOut + 144, accumulate, c3_0, c3_1, c3_2);
        StreamedBColumn.Store(columnsOut + 192, accumulate, c4_0, c4_1, c4_2);
        StreamedBColumn.Store(columnsOut + 240, accumulate, c5_0, c5_1, c5_2);
        StreamedBColumn.Store(columnsOut + 288, accumulate, c6_0, c6_1, c6_2);
        StreamedBColumn.Store(columnsOut + 336, accumulate, c7_0, c7_1, c7_2);
    }
}

/// <summary>32 rows × 12 columns.</summary>
internal readonly unsafe struct StreamedBKernel32x12 : IStreamedBKernel
{
    public static int Rows => 32;
    public static int Columns => 12;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int depth, float* packedA, float* b, long rowStride, long prefetchOffset, StreamedBSweep next, float* columnsOut, bool accumulate)
    {
        Vector512<float> c0_0 = default, c0_1 = default;
        Vector512<float> c1_0 = default, c1_1 = default;
        Vector512<float> c2_0 = default, c2_1 = default;
        Vector512<float> c3_0 = default, c3_1 = default;
        Vector512<float> c4_0 = default, c4_1 = default;
        Vector512<float> c5_0 = default, c5_1 = default;
        Vector512<float> c6_0 = default, c6_1 = default;
        Vector512<float> c7_0 = default, c7_1 = default;
        Vector512<float> c8_0 = default, c8_1 = default;
        Vector512<float> c9_0 = default, c9_1 = default;
        Vector512<float> c10_0 = default, c10_1 = default;
        Vector512<float> c11_0 = default, c11_1 = default;
        float* sweep = next.First; long sweepGap = next.Gap; int sweepRows = next.Rows;
        for (int p = 0; p < depth; p++)
        {
            if (Sse.IsSupported)
            {
                Sse.Prefetch1(b + prefetchOffset);
                StreamedBSweep.Issue(sweep, sweepGap, sweepRows);
            }
            var a0 = Vector512.Load(packedA + 0); var a1 = Vector512.Load(packedA + 16);
            var b0 = Vector512.Create(b[0]); c0_0 = Vector512.FusedMultiplyAdd(a0, b0, c0_0); c0_1 = Vector512.FusedMultiplyAdd(a1, b0, c0_1);
            var b1 = Vector512.Create(b[1]); c1_0 = Vector512.FusedMultiplyAdd(a0, b1, c1_0); c1_1 = Vector512.FusedMultiplyAdd(a1, b1, c1_1);
            var b2 = Vector512.Create(b[2]); c2_0 = Vector512.FusedMultiplyAdd(a0, b2, c2_0); c2_1 = Vector512.FusedMultiplyAdd(a1, b2, c2_1);
            var b3 = Vector512.Create(b[3]); c3_0 = Vector512.FusedMultiplyAdd(a0, b3, c3_0); c3_1 = Vector512.FusedMultiplyAdd(a1, b3, c3_1);
            var b4 = Vector512.Create(b[4]); c4_0 = Vector512.FusedMultiplyAdd(a0, b4, c4_0); c4_1 = Vector512.FusedMultiplyAdd(a1, b4, c4_1);
            var b5 = Vector512.Create(b[5]); c5_0 = Vector512.FusedMultiplyAdd(a0, b5, c5_0); c5_1 = Vector512.FusedMultiplyAdd(a1, b5, c5_1);
            var b6 = Vector512.Create(b[6]); c6_0 = Vector512.FusedMultiplyAdd(a0, b6, c6_0); c6_1 = Vector512.FusedMultiplyAdd(a1, b6, c6_1);
            var b7 = Vector512.Create(b[7]); c7_0 = Vector512.FusedMultiplyAdd(a0, b7, c7_0); c7_1 = Vector512.FusedMultiplyAdd(a1, b7, c7_1);
            var b8 = Vector512.Create(b[8]); c8_0 = Vector512.FusedMultiplyAdd(a0, b8, c8_0); c8_1 = Vector512.FusedMultiplyAdd(a1, b8, c8_1);
            var b9 = Vector512.Create(b[9]); c9_0 = Vector512.FusedMultiplyAdd(a0, b9, c9_0); c9_1 = Vector512.FusedMultiplyAdd(a1, b9, c9_1);
            var b10 = Vector512.Create(b[10]); c10_0 = Vector512.FusedMultiplyAdd(a0, b10, c10_0); c10_1 = Vector512.FusedMultiplyAdd(a1, b10, c10_1);
            var b11 = Vector512.Create(b[11]); c11_0 = Vector512.FusedMultiplyAdd(a0, b11, c11_0); c11_1 = Vector512.FusedMultiplyAdd(a1, b11, c11_1);
            packedA += 32;
            b += rowStride;
            sweep += StreamedBSweep.FloatsPerStep;
        }
        StreamedBColumn.Store(columnsOut + 0, accumulate, c0_0, c0_1);
        StreamedBColumn.Store(columnsOut + 32, accumulate, c1_0, c1_1);
        StreamedBColumn.Store(columnsOut + 64, accumulate, c2_0, c2_1);
        StreamedBColumn.Store(columnsOut + 96, accumulate, c3_0, c3_1);
        StreamedBColumn.Store(columnsOut + 128, accumulate, c4_0, c4_1);
        StreamedBColumn.Store(columnsOut + 160, accumulate, c5_0, c5_1);
        StreamedBColumn.Store(columnsOut + 192, accumulate, c6_0, c6_1);
        StreamedBColumn.Store(columnsOut + 224, accumulate, c7_0, c7_1);
        StreamedBColumn.Store(columnsOut + 256, accumulate, c8_0, c8_1);
        StreamedBColumn.Store(columnsOut + 288, accumulate, c9_0, c9_1);
        StreamedBColumn.Store(columnsOut + 320, accumulate, c10_0, c10_1);
        StreamedBColumn.Store(columnsOut + 352, accumulate, c11_0, c11_1);
    }
}

/// <summary>16 rows × 16 columns: the remainder of a group of rows.</summary>
internal readonly unsafe struct StreamedBKernel16x16 : IStreamedBKernel
{
    public static int Rows => 16;
    public static int Columns => 16;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int depth, float* packedA, float* b, long rowStride, long prefetchOffset, StreamedBSweep next, float* columnsOut, bool accumulate)
    {
        Vector512<float> c0_0 = default;
        Vector512<float> c1_0 = default;
        Vector512<float> c2_0 = default;
        Vector512<float> c3_0 = default;
        Vector512<float> c4_0 = default;
        Vector512<float> c5_0 = default;
        Vector512<float> c6_0 = default;
        Vector512<float> c7_0 = default;
        Vector512<float> c8_0 = default;
        Vector512<float> c9_0 = default;
        Vector512<float> c10_0 = default;
        Vector512<float> c11_0 = default;
        Vector512<float> c12_0 = default;
        Vector512<float> c13_0 = default;
        Vector512<float> c14_0 = default;
        Vector512<float> c15_0 = default;
        float* sweep = next.First; long sweepGap = next.Gap; int sweepRows = next.Rows;
        for (int p = 0; p < depth; p++)
        {
            if (Sse.IsSupported)
            {
                Sse.Prefetch1(b + prefetchOffset);
                StreamedBSweep.Issue(sweep, sweepGap, sweepRows);
            }
            var a0 = Vector512.Load(packedA + 0);
            var b0 = Vector512.Create(b[0]); c0_0 = Vector512.FusedMultiplyAdd(a0, b0, c0_0);
            var b1 = Vector512.Create(b[1]); c1_0 = Vector512.FusedMultiplyAdd(a0, b1, c1_0);
            var b2 = Vector512.Create(b[2]); c2_0 = Vector512.FusedMultiplyAdd(a0, b2, c2_0);
            var b3 = Vector512.Create(b[3]); c3_0 = Vector512.FusedMultiplyAdd(a0, b3, c3_0);
            var b4 = Vector512.Create(b[4]); c4_0 = Vector512.FusedMultiplyAdd(a0, b4, c4_0);
            var b5 = Vector512.Create(b[5]); c5_0 = Vector512.FusedMultiplyAdd(a0, b5, c5_0);
            var b6 = Vector512.Create(b[6]); c6_0 = Vector512.FusedMultiplyAdd(a0, b6, c6_0);
            var b7 = Vector512.Create(b[7]); c7_0 = Vector512.FusedMultiplyAdd(a0, b7, c7_0);
            var b8 = Vector512.Create(b[8]); c8_0 = Vector512.FusedMultiplyAdd(a0, b8, c8_0);
            var b9 = Vector512.Create(b[9]); c9_0 = Vector512.FusedMultiplyAdd(a0, b9, c9_0);
            var b10 = Vector512.Create(b[10]); c10_0 = Vector512.FusedMultiplyAdd(a0, b10, c10_0);
            var b11 = Vector512.Create(b[11]); c11_0 = Vector512.FusedMultiplyAdd(a0, b11, c11_0);
            var b12 = Vector512.Create(b[12]); c12_0 = Vector512.FusedMultiplyAdd(a0, b12, c12_0);
            var b13 = Vector512.Create(b[13]); c13_0 = Vector512.FusedMultiplyAdd(a0, b13, c13_0);
            var b14 = Vector512.Create(b[14]); c14_0 = Vector512.FusedMultiplyAdd(a0, b14, c14_0);
            var b15 = Vector512.Create(b[15]); c15_0 = Vector512.FusedMultiplyAdd(a0, b15, c15_0);
            packedA += 16;
            b += rowStride;
            sweep += StreamedBSweep.FloatsPerStep;
        }
        StreamedBColumn.Store(columnsOut + 0, accumulate, c0_0);
        StreamedBColumn.Store(columnsOut + 16, accumulate, c1_0);
        StreamedBColumn.Store(columnsOut + 32, accumulate, c2_0);
        StreamedBColumn.Store(columnsOut + 48, accumulate, c3_0);
        StreamedBColumn.Store(columnsOut + 64, accumulate, c4_0);
        StreamedBColumn.Store(columnsOut + 80, accumulate, c5_0);
        StreamedBColumn.Store(columnsOut + 96, accumulate, c6_0);
        StreamedBColumn.Store(columnsOut + 112, accumulate, c7_0);
        StreamedBColumn.Store(columnsOut + 128, accumulate, c8_0);
        StreamedBColumn.Store(columnsOut + 144, accumulate, c9_0);
        StreamedBColumn.Store(columnsOut + 160, accumulate, c10_0);
        StreamedBColumn.Store(columnsOut + 176, accumulate, c11_0);
        StreamedBColumn.Store(columnsOut + 192, accumulate, c12_0);
        StreamedBColumn.Store(columnsOut + 208, accumulate, c13_0);
        StreamedBColumn.Store(columnsOut + 224, accumulate, c14_0);
        StreamedBColumn.Store(columnsOut + 240, accumulate, c15_0);
    }
}

/// <summary>16 rows × 6 columns of Vector256 FMAs (AVX2 + FMA).</summary>
internal readonly unsafe struct StreamedBKernel16x6Vector256 : IStreamedBKernel
{
    public static int Rows => 16;
    public static int Columns => 6;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int depth, float* packedA, float* b, long rowStride, long prefetchOffset, StreamedBSweep next, float* columnsOut, bool accumulate)
    {
        Vector256<float> c0_0 = default, c0_1 = default;
        Vector256<float> c1_0 = default, c1_1 = default;
        Vector256<float> c2_0 = default, c2_1 = default;
        Vector256<float> c3_0 = default, c3_1 = default;
        Vector256<float> c4_0 = default, c4_1 = default;
        Vector256<float> c5_0 = default, c5_1 = default;
        float* sweep = next.First; long sweepGap = next.Gap; int sweepRows = next.Rows;
        for (int p = 0; p < depth; p++)
        {
            if (Sse.IsSupported)
            {
                Sse.Prefetch1(b + prefetchOffset);
                StreamedBSweep.Issue(sweep, sweepGap, sweepRows);
            }
            var a0 = Vector256.Load(packedA + 0); var a1 = Vector256.Load(packedA + 8);
            var b0 = Vector256.Create(b[0]); c0_0 = Vector256.FusedMultiplyAdd(a0, b0, c0_0); c0_1 = Vector256.FusedMultiplyAdd(a1, b0, c0_1);
            var b1 = Vector256.Create(b[1]); c1_0 = Vector256.FusedMultiplyAdd(a0, b1, c1_0); c1_1 = Vector256.FusedMultiplyAdd(a1, b1, c1_1);
            var b2 = Vector256.Create(b[2]); c2_0 = Vector256.FusedMultiplyAdd(a0, b2, c2_0); c2_1 = Vector256.FusedMultiplyAdd(a1, b2, c2_1);
            var b3 = Vector256.Create(b[3]); c3_0 = Vector256.FusedMultiplyAdd(a0, b3, c3_0); c3_1 = Vector256.FusedMultiplyAdd(a1, b3, c3_1);
            var b4 = Vector256.Create(b[4]); c4_0 = Vector256.FusedMultiplyAdd(a0, b4, c4_0); c4_1 = Vector256.FusedMultiplyAdd(a1, b4, c4_1);
            var b5 = Vector256.Create(b[5]); c5_0 = Vector256.FusedMultiplyAdd(a0, b5, c5_0); c5_1 = Vector256.FusedMultiplyAdd(a1, b5, c5_1);
            packedA += 16;
            b += rowStride;
            sweep += StreamedBSweep.FloatsPerStep;
        }
        StreamedBColumn.Store(columnsOut + 0, accumulate, c0_0, c0_1);
        StreamedBColumn.Store(columnsOut + 16, accumulate, c1_0, c1_1);
        StreamedBColumn.Store(columnsOut + 32, accumulate, c2_0, c2_1);
        StreamedBColumn.Store(columnsOut + 48, accumulate, c3_0, c3_1);
        StreamedBColumn.Store(columnsOut + 64, accumulate, c4_0, c4_1);
        StreamedBColumn.Store(columnsOut + 80, accumulate, c5_0, c5_1);
    }
}

/// <summary>8 rows × 12 columns of Vector256 FMAs: the remainder of a group of rows.</summary>
internal readonly unsafe struct StreamedBKernel8x12Vector256 : IStreamedBKernel
{
    public static int Rows => 8;
    public static int Columns => 12;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int depth, float* packedA, float* b, long rowStride, long prefetchOffset, StreamedBSweep next, float* columnsOut, bool accumulate)
    {
        Vector256<float> c0_0 = default;
        Vector256<float> c1_0 = default;
        Vector256<float> c2_0 = default;
        Vector256<float> c3_0 = default;
        Vector256<float> c4_0 = default;
        Vector256<float> c5_0 = default;
        Vector256<float> c6_0 = default;
        Vector256<float> c7_0 = default;
        Vector256<float> c8_0 = default;
        Vector256<float> c9_0 = default;
        Vector256<float> c10_0 = default;
        Vector256<float> c11_0 = default;
        float* sweep = next.First; long sweepGap = next.Gap; int sweepRows = next.Rows;
        for (int p = 0; p < depth; p++)
        {
            if (Sse.IsSupported)
            {
                Sse.Prefetch1(b + prefetchOffset);
                StreamedBSweep.Issue(sweep, sweepGap, sweepRows);
            }
            var a0 = Vector256.Load(packedA + 0);
            var b0 = Vector256.Create(b[0]); c0_0 = Vector256.FusedMultiplyAdd(a0, b0, c0_0);
            var b1 = Vector256.Create(b[1]); c1_0 = Vector256.FusedMultiplyAdd(a0, b1, c1_0);
            var b2 = Vector256.Create(b[2]); c2_0 = Vector256.FusedMultiplyAdd(a0, b2, c2_0);
            var b3 = Vector256.Create(b[3]); c3_0 = Vector256.FusedMultiplyAdd(a0, b3, c3_0);
            var b4 = Vector256.Create(b[4]); c4_0 = Vector256.FusedMultiplyAdd(a0, b4, c4_0);
            var b5 = Vector256.Create(b[5]); c5_0 = Vector256.FusedMultiplyAdd(a0, b5, c5_0);
            var b6 = Vector256.Create(b[6]); c6_0 = Vector256.FusedMultiplyAdd(a0, b6, c6_0);
            var b7 = Vector256.Create(b[7]); c7_0 = Vector256.FusedMultiplyAdd(a0, b7, c7_0);
            var b8 = Vector256.Create(b[8]); c8_0 = Vector256.FusedMultiplyAdd(a0, b8, c8_0);
            var b9 = Vector256.Create(b[9]); c9_0 = Vector256.FusedMultiplyAdd(a0, b9, c9_0);
            var b10 = Vector256.Create(b[10]); c10_0 = Vector256.FusedMultiplyAdd(a0, b10, c10_0);
            var b11 = Vector256.Create(b[11]); c11_0 = Vector256.FusedMultiplyAdd(a0, b11, c11_0);
            packedA += 8;
            b += rowStride;
            sweep += StreamedBSweep.FloatsPerStep;
        }
        StreamedBColumn.Store(columnsOut + 0, accumulate, c0_0);
        StreamedBColumn.Store(columnsOut + 8, accumulate, c1_0);
        StreamedBColumn.Store(columnsOut + 16, accumulate, c2_0);
        StreamedBColumn.Store(columnsOut + 24, accumulate, c3_0);
        StreamedBColumn.Store(columnsOut + 32, accumulate, c4_0);
        StreamedBColumn.Store(columnsOut + 40, accumulate, c5_0);
        StreamedBColumn.Store(columnsOut + 48, accumulate, c6_0);
        StreamedBColumn.Store(columnsOut + 56, accumulate, c7_0);
        StreamedBColumn.Store(columnsOut + 64, accumulate, c8_0);
        StreamedBColumn.Store(columnsOut + 72, accumulate, c9_0);
        StreamedBColumn.Store(columnsOut + 80, accumulate, c10_0);
        StreamedBColumn.Store(columnsOut + 88, accumulate, c11_0);
    }
}
