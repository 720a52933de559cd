// The register tile of DotProductGemm: a 4 × 6 tile of C = A·Bᵀ, each element a dot product of a
// row of A and a row of Bᵀ, both read where they lie (AVX-512).
//
// Each depth step loads 16 consecutive values of each of the 4 rows of A and the 6 rows of Bᵀ
// (10 loads) and issues 24 FMAs, one per element, into 24 accumulators: lane l of accumulator
// (i, j) sums a_i[p]·b_j[p] over p ≡ l (mod 16), in order of p. At the end the 16 lanes of each
// accumulator are added by one fixed tree of shuffles and adds (Reduce), which packs the 24 sums
// into two vectors. Every element therefore sees the same operations in the same order wherever
// it lies in a tile, in a ragged edge tile or a whole one, and whatever the depth: its value
// depends only on its row of A, its row of Bᵀ and K. So a product cut differently among threads
// gives the same bits.
//
// The tree costs about 46 shuffles and 23 adds per tile (shuffles share a port with the FMAs), a
// fixed price that a 512-deep tile pays for its 768 FMAs (4 × 6 × 32 steps): in L1, 124–127
// GFLOP/s at K = 512, 138 at 1024 and 108 at 256 (1 thread; the FMA peak reads 162–175), about
// 100 cycles a tile for the tree, the stores and the call.
// The depth is whole steps; DotProductGemm adds the last K mod 16 values by a second call on
// zero-padded copies of the rows' tails.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SwitchNative.Devices.Cpu.Gemm;

/// <summary>A 4×6 tile of dot products of rows of A and rows of Bᵀ, with Vector512 FMAs.</summary>
internal readonly unsafe struct DotProductKernel512 : IDotProductKernel
{
    public static int Rows => 4;
    public static int Columns => 6;
    public static int StepDepth => 16;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int depth, float* a, long lda, int rows, float* b, long ldb, int columns, float alpha, bool accumulate, float* c, long ldc, float* prefetch, int prefetchLines)
    {
        if (rows < 1 || rows > Rows || columns < 1 || columns > Columns)
            throw new ArgumentOutOfRangeException(nameof(rows), $"a dot-product tile takes 1–{Rows} rows and 1–{Columns} columns, not {rows} × {columns}");
        if (depth <= 0 || depth % 16 != 0)
            throw new ArgumentOutOfRangeException(nameof(depth), depth, "a dot-product tile runs whole steps of 16");
        // Missing rows and columns of a ragged tile repeat the last one; their sums are dropped.
        float* a0 = a, a1 = a + Math.Min(1, rows - 1) * lda, a2 = a + Math.Min(2, rows - 1) * lda, a3 = a + Math.Min(3, rows - 1) * lda;
        float* b0 = b, b1 = b + Math.Min(1, columns - 1) * ldb, b2 = b + Math.Min(2, columns - 1) * ldb;
        float* b3 = b + Math.Min(3, columns - 1) * ldb, b4 = b + Math.Min(4, columns - 1) * ldb, b5 = b + Math.Min(5, columns - 1) * ldb;
        Vector512<float> c00 = default, c01 = default, c02 = default, c03 = default, c04 = default, c05 = default;
        Vector512<float> c10 = default, c11 = default, c12 = default, c13 = default, c14 = default, c15 = default;
        Vector512<float> c20 = default, c21 = default, c22 = default, c23 = default, c24 = default, c25 = default;
        Vector512<float> c30 = default, c31 = default, c32 = default, c33 = default, c34 = default, c35 = default;
        // A step reads one line of each row, so the prefetch walks a line per step.
        long prefetchEnd = Math.Min((long)prefetchLines * 16, depth);
        for (long p = 0; p < depth; p += 16)
        {
            if (p < prefetchEnd) Sse.Prefetch1(prefetch + p);
            var x0 = Vector512.Load(a0 + p);
            var x1 = Vector512.Load(a1 + p);
            var x2 = Vector512.Load(a2 + p);
            var x3 = Vector512.Load(a3 + p);
            var y = Vector512.Load(b0 + p);
            c00 = Vector512.FusedMultiplyAdd(x0, y, c00); c10 = Vector512.FusedMultiplyAdd(x1, y, c10); c20 = Vector512.FusedMultiplyAdd(x2, y, c20); c30 = Vector512.FusedMultiplyAdd(x3, y, c30);
            y = Vector512.Load(b1 + p);
            c01 = Vector512.FusedMultiplyAdd(x0, y, c01); c11 = Vector512.FusedMultiplyAdd(x1, y, c11); c21 = Vector512.FusedMultiplyAdd(x2, y, c21); c31 = Vector512.FusedMultiplyAdd(x3, y, c31);
            y = Vector512.Load(b2 + p);
            c02 = Vector512.FusedMultiplyAdd(x0, y, c02); c12 = Vector512.FusedMultiplyAdd(x1, y, c12); c22 = Vector512.FusedMultiplyAdd(x2, y, c22); c32 = Vector512.FusedMultiplyAdd(x3, y, c32);
            y = Vector512.Load(b3 + p);
            c03 = Vector512.FusedMultiplyAdd(x0, y, c03); c13 = Vector512.FusedMultiplyAdd(x1, y, c13); c23 = Vector512.FusedMultiplyAdd(x2, y, c23); c33 = Vector512.FusedMultiplyAdd(x3, y, c33);
            y = Vector512.Load(b4 + p);
            c04 = Vector512.FusedMultiplyAdd(x0, y, c04); c14 = Vector512.FusedMultiplyAdd(x1, y, c14); c24 = Vector512.FusedMultiplyAdd(x2, y, c24); c34 = Vector512.FusedMultiplyAdd(x3, y, c34);
            y = Vector512.Load(b5 + p);
            c05 = Vector512.FusedMultiplyAdd(x0, y, c05); c15 = Vector512.FusedMultiplyAdd(x1, y, c15); c25 = Vector512.FusedMultiplyAdd(x2, y, c25); c35 = Vector512.FusedMultiplyAdd(x3, y, c35);
        }
        // Lane 4i + j of `left` is element (i, j) for j < 4; lanes 4i and 4i + 1 of `right` are (i, 4) and (i, 5).
        var left = alpha * Reduce(c00, c10, c20, c30, c01, c11, c21, c31, c02, c12, c22, c32, c03, c13, c23, c33);
        var right = alpha * Reduce(c04, c14, c24, c34, c05, c15, c25, c35);
        if (rows == Rows && columns == Columns)
        {
            Store(c, accumulate, Avx512F.ExtractVector128(left, 0), Avx512F.ExtractVector128(right, 0));
            Store(c + ldc, accumulate, Avx512F.ExtractVector128(left, 1), Avx512F.ExtractVector128(right, 1));
            Store(c + 2 * ldc, accumulate, Avx512F.ExtractVector128(left, 2), Avx512F.ExtractVector128(right, 2));
            Store(c + 3 * ldc, accumulate, Avx512F.ExtractVector128(left, 3), Avx512F.ExtractVector128(right, 3));
            return;
        }
        float* sums = stackalloc float[2 * Vector512<float>.Count];
        left.Store(sums);
        right.Store(sums + Vector512<float>.Count);
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < columns; j++)
            {
                float value = j < 4 ? sums[4 * i + j] : sums[Vector512<float>.Count + 4 * i + j - 4];
                float* target = c + i * ldc + j;
                *target = accumulate ? *target + value : value;
            }
    }

    // One row of a whole tile: four elements from `left`, two from the low lanes of `right`.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* row, bool accumulate, Vector128<float> left, Vector128<float> right)
    {
        if (accumulate)
        {
            left += Vector128.Load(row);
            right += Sse2.LoadScalarVector128((double*)(row + 4)).AsSingle();
        }
        left.Store(row);
        Sse2.StoreScalar((double*)(row + 4), right.AsDouble());
    }

    // Sixteen accumulators → one vector whose lane 4l + m is the sum of the 16 lanes of input
    // s = l + 4m (l, m < 4). Every input goes through the same four levels: lanes 0–7 added to
    // 8–15, then 0–3 to 4–7 of that, then the two pairs, then the two left.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Reduce(
        Vector512<float> v0, Vector512<float> v1, Vector512<float> v2, Vector512<float> v3, Vector512<float> v4, Vector512<float> v5, Vector512<float> v6, Vector512<float> v7,
        Vector512<float> v8, Vector512<float> v9, Vector512<float> v10, Vector512<float> v11, Vector512<float> v12, Vector512<float> v13, Vector512<float> v14, Vector512<float> v15) =>
        Singles(Pairs(Fours(v0, v1, v2, v3), Fours(v4, v5, v6, v7)), Pairs(Fours(v8, v9, v10, v11), Fours(v12, v13, v14, v15)));

    // Eight accumulators (inputs 0–7 of the sixteen) by the same levels: lanes 4l and 4l + 1 hold inputs l and l + 4.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Reduce(Vector512<float> v0, Vector512<float> v1, Vector512<float> v2, Vector512<float> v3, Vector512<float> v4, Vector512<float> v5, Vector512<float> v6, Vector512<float> v7) =>
        Singles(Pairs(Fours(v0, v1, v2, v3), Fours(v4, v5, v6, v7)), Vector512<float>.Zero);

    // 128-bit lane l of the result: the four partial sums of input l (of x, y, z, w).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Fours(Vector512<float> x, Vector512<float> y, Vector512<float> z, Vector512<float> w)
    {
        // Halves: lanes 0–7 hold x's lanes 0–7 + 8–15, lanes 8–15 the same of y.
        var xy = Avx512F.Shuffle4x128(x, y, 0b01_00_01_00) + Avx512F.Shuffle4x128(x, y, 0b11_10_11_10);
        var zw = Avx512F.Shuffle4x128(z, w, 0b01_00_01_00) + Avx512F.Shuffle4x128(z, w, 0b11_10_11_10);
        // Quarters: 128-bit lane 0 holds x's 0–3 + 4–7 of the above, lane 1 y's, lane 2 z's, lane 3 w's.
        return Avx512F.Shuffle4x128(xy, zw, 0b10_00_10_00) + Avx512F.Shuffle4x128(xy, zw, 0b11_01_11_01);
    }

    // In each 128-bit lane l: [x's input, twice; y's input, twice] (pairs of partial sums added).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Pairs(Vector512<float> x, Vector512<float> y) =>
        Avx512F.UnpackLow(x.AsDouble(), y.AsDouble()).AsSingle() + Avx512F.UnpackHigh(x.AsDouble(), y.AsDouble()).AsSingle();

    // In each 128-bit lane: [x's first, x's second, y's first, y's second] inputs, each one sum.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Singles(Vector512<float> x, Vector512<float> y) =>
        Avx512F.Shuffle(x, y, 0b10_00_10_00) + Avx512F.Shuffle(x, y, 0b11_01_11_01);
}
