// DotProductGemm's tile on AVX2 + FMA: 3 rows × 4 columns of C = A·Bᵀ, each element the dot
// product of a row of A and a row of Bᵀ, both read where they lie.
//
// Each depth step loads 8 consecutive values of the 3 rows of A and the 4 rows of Bᵀ (7 loads) and
// issues 12 FMAs into 12 accumulators (of 16 registers: 12 + 3 A + 1 B). Four columns rather than
// three, so each row of A, which comes from L2, feeds 4 FMAs per load. At the end the 8 lanes of
// each accumulator are added by one fixed tree (Reduce): every element sees the same operations
// wherever it lies, so its value depends only on its two rows and K, as on AVX-512
// (DotProductKernel512), though the two trees differ.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SwitchNative.Devices.Cpu.Gemm;

/// <summary>A 3×4 tile of dot products of rows of A and rows of Bᵀ, with Vector256 FMAs.</summary>
internal readonly unsafe struct DotProductKernel256 : IDotProductKernel
{
    public static int Rows => 3;
    public static int Columns => 4;
    public static int StepDepth => 8;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int depth, float* a, long lda, int rows, float* b, long ldb, int columns, float alpha, bool accumulate, float* c, long ldc, float* prefetch, int prefetchLines)
    {
        if (rows < 1 || rows > 3 || columns < 1 || columns > 4)
            throw new ArgumentOutOfRangeException(nameof(rows), $"a dot-product tile takes 1–3 rows and 1–4 columns, not {rows} × {columns}");
        if (depth <= 0 || depth % 8 != 0)
            throw new ArgumentOutOfRangeException(nameof(depth), depth, "a dot-product tile runs whole steps of 8");
        // Missing rows and columns of a ragged tile repeat the last one; their sums are dropped.
        float* a0 = a, a1 = a + Math.Min(1, rows - 1) * lda, a2 = a + Math.Min(2, rows - 1) * lda;
        float* b0 = b, b1 = b + Math.Min(1, columns - 1) * ldb, b2 = b + Math.Min(2, columns - 1) * ldb, b3 = b + Math.Min(3, columns - 1) * ldb;
        Vector256<float> c00 = default, c01 = default, c02 = default, c03 = default;
        Vector256<float> c10 = default, c11 = default, c12 = default, c13 = default;
        Vector256<float> c20 = default, c21 = default, c22 = default, c23 = default;
        // A step reads half a line of each row, so the prefetch walks a line every other step.
        long prefetchEnd = Math.Min((long)prefetchLines * 16, depth);
        for (long p = 0; p < depth; p += 8)
        {
            if ((p & 15) == 0 && p < prefetchEnd) Sse.Prefetch1(prefetch + p);
            var x0 = Vector256.Load(a0 + p);
            var x1 = Vector256.Load(a1 + p);
            var x2 = Vector256.Load(a2 + p);
            var y = Vector256.Load(b0 + p);
            c00 = Fma.MultiplyAdd(x0, y, c00); c10 = Fma.MultiplyAdd(x1, y, c10); c20 = Fma.MultiplyAdd(x2, y, c20);
            y = Vector256.Load(b1 + p);
            c01 = Fma.MultiplyAdd(x0, y, c01); c11 = Fma.MultiplyAdd(x1, y, c11); c21 = Fma.MultiplyAdd(x2, y, c21);
            y = Vector256.Load(b2 + p);
            c02 = Fma.MultiplyAdd(x0, y, c02); c12 = Fma.MultiplyAdd(x1, y, c12); c22 = Fma.MultiplyAdd(x2, y, c22);
            y = Vector256.Load(b3 + p);
            c03 = Fma.MultiplyAdd(x0, y, c03); c13 = Fma.MultiplyAdd(x1, y, c13); c23 = Fma.MultiplyAdd(x2, y, c23);
        }
        // Lanes 0–3 of `top` are row 0's four elements, lanes 4–7 row 1's; lanes 0–3 of `bottom` row 2's.
        var top = alpha * Reduce(c00, c10, c01, c11, c02, c12, c03, c13);
        var bottom = alpha * Reduce(c20, Vector256<float>.Zero, c21, Vector256<float>.Zero, c22, Vector256<float>.Zero, c23, Vector256<float>.Zero);
        if (rows == 3 && columns == 4)
        {
            Store(c, accumulate, top.GetLower());
            Store(c + ldc, accumulate, top.GetUpper());
            Store(c + 2 * ldc, accumulate, bottom.GetLower());
            return;
        }
        float* sums = stackalloc float[2 * Vector256<float>.Count];
        top.Store(sums);
        bottom.Store(sums + Vector256<float>.Count);
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < columns; j++)
            {
                float value = sums[4 * i + j];
                float* target = c + i * ldc + j;
                *target = accumulate ? *target + value : value;
            }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* row, bool accumulate, Vector128<float> values)
    {
        if (accumulate) values += Vector128.Load(row);
        values.Store(row);
    }

    // Eight accumulators → one vector whose lane l is the sum of the 8 lanes of input 2l (l < 4)
    // and lane 4 + l that of input 2l + 1. Every input goes through the same three levels: its
    // 128-bit halves added, then lanes 0 + 2 and 1 + 3 of that, then the two left.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Reduce(Vector256<float> v0, Vector256<float> v1, Vector256<float> v2, Vector256<float> v3, Vector256<float> v4, Vector256<float> v5, Vector256<float> v6, Vector256<float> v7) =>
        Singles(Pairs(Halves(v0, v1), Halves(v2, v3)), Pairs(Halves(v4, v5), Halves(v6, v7)));

    // Lanes 0–3: x's two halves added; lanes 4–7: y's.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Halves(Vector256<float> x, Vector256<float> y) =>
        Avx.Permute2x128(x, y, 0x20) + Avx.Permute2x128(x, y, 0x31);

    // In each 128-bit lane: [x's input, twice; y's input, twice] (pairs of partial sums added).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Pairs(Vector256<float> x, Vector256<float> y) =>
        Avx.UnpackLow(x.AsDouble(), y.AsDouble()).AsSingle() + Avx.UnpackHigh(x.AsDouble(), y.AsDouble()).AsSingle();

    // In each 128-bit lane: [x's first, x's second, y's first, y's second] inputs, each one sum.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Singles(Vector256<float> x, Vector256<float> y) =>
        Avx.Shuffle(x, y, 0b10_00_10_00) + Avx.Shuffle(x, y, 0b11_01_11_01);
}
