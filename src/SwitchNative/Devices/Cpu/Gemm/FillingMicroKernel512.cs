// The 12×32 tile of TallMicroKernel512 that packs its operands as it reads them, so that a
// product's first row of tiles packs B̃ and the first tile of each row packs Ã, instead of
// separate passes over A and B before the tiles (PackedGemm.FillingTiles.cs says where).
//
// Per depth step p it reads B[p, j..j+32) from B's own rows (ldb floats apart) or from the
// packed micro-panel, and A[i, p] for its 12 rows from A's own rows (lda floats apart) or from
// the packed micro-panel; what it reads from the source it also stores where the packed panel
// keeps it (B̃: 32 floats per step; Ã: 12 floats per step, column by column). The FMAs are the
// same, in the same order, as TallMicroKernel512's, so the results are bit-identical.
// TallMicroKernel512 keeps its own copy of these lines: running it as this kernel with both
// operands from their panels (with its source prefetch added here) measured 0.99–1.01 on the
// dense shapes, slightly more often below 1 than above (1 and 2 threads, two runs), and it is
// the hot loop of every large product.
// B read from its rows is prefetched 8 rows ahead into L1 and 64 rows ahead into L2. Rows N
// floats apart fall in few L1 sets (4 sets at N = 512), so the packed panel's 16 steps ahead evict
// lines before use, and 8 rows of 12 cycles do not cover a read from L3. In-process, 640×2048×512
// (B read in place in every tile, L1 only): 8 rows 1.01–1.05× 16 rows, 4 rows 0.96–1.00×; then
// adding the L2 prefetch to the filling tiles: 32, 64 or 128 rows ahead 1.01–1.03× none (with
// L1 at 4 or 8 rows alike).
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SwitchNative.Devices.Cpu.Gemm;

/// <summary>Where a filling tile reads one operand: its source rows (packing it as it goes) or its packed micro-panel.</summary>
internal interface ITileOperandSource
{
    /// <summary>True: read the source and store what is read into the packed panel; false: read the packed panel.</summary>
    static abstract bool FromSource { get; }
}

/// <summary>The tile reads the operand from its source rows and packs it.</summary>
internal readonly struct OperandFromSource : ITileOperandSource
{
    public static bool FromSource => true;
}

/// <summary>The tile reads the operand from its packed micro-panel.</summary>
internal readonly struct OperandFromPanel : ITileOperandSource
{
    public static bool FromSource => false;
}

/// <summary>12×32 tile of Vector512 FMAs (AVX-512) that packs what it reads from A's or B's own rows.</summary>
internal static unsafe class FillingMicroKernel512
{
    public const int Rows = 12;
    public const int Columns = 32;

    // Rows of B, read in place, between a row's prefetch and its use (see the top of the file).
    private const int SourceAheadRows = 8;

    // Rows of B, read in place, between a row's prefetch into L2 and its use.
    private const int SourceAheadRowsToL2 = 64;

    /// <summary>
    /// <c>C[i, j] (+)= Σ_p A[i, p]·B[p, j]</c> over the full 12×32 tile, reading A from
    /// <paramref name="sourceA"/> (rows <paramref name="lda"/> apart) or from <paramref name="packedA"/>
    /// as <typeparamref name="TA"/> says, B likewise; whatever comes from a source is also written
    /// into the packed panel, which then holds exactly what PackA / PackB would have put there (α = 1).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run<TA, TB>(int depth, float* sourceA, long lda, float* packedA, float* sourceB, long ldb, float* packedB, float* c, int ldc, bool accumulate)
        where TA : ITileOperandSource
        where TB : ITileOperandSource
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
        Vector512<float> c80 = default, c81 = default, c90 = default, c91 = default, c100 = default, c101 = default, c110 = default, c111 = default;
        float* a0 = sourceA, a1 = sourceA + lda, a2 = sourceA + 2 * lda, a3 = sourceA + 3 * lda, a4 = sourceA + 4 * lda, a5 = sourceA + 5 * lda;
        float* a6 = sourceA + 6 * lda, a7 = sourceA + 7 * lda, a8 = sourceA + 8 * lda, a9 = sourceA + 9 * lda, a10 = sourceA + 10 * lda, a11 = sourceA + 11 * lda;
        long aheadB = SourceAheadRows * ldb, aheadBToL2 = SourceAheadRowsToL2 * ldb;
        for (int p = 0; p < depth; p++)
        {
            Vector512<float> b0, b1;
            if (TB.FromSource)
            {
                Sse.Prefetch0(sourceB + aheadB);
                Sse.Prefetch0(sourceB + aheadB + 16);
                Sse.Prefetch1(sourceB + aheadBToL2);
                Sse.Prefetch1(sourceB + aheadBToL2 + 16);
                b0 = Vector512.Load(sourceB);
                b1 = Vector512.Load(sourceB + 16);
                b0.Store(packedB);
                b1.Store(packedB + 16);
                sourceB += ldb;
            }
            else
            {
                Sse.Prefetch0(packedB + MicroKernelStream.AheadSteps * Columns);
                Sse.Prefetch0(packedB + MicroKernelStream.AheadSteps * Columns + 16);
                b0 = Vector512.Load(packedB);
                b1 = Vector512.Load(packedB + 16);
            }
            var a = Vector512.Create(TA.FromSource ? packedA[0] = a0[p] : packedA[0]); c00 = Vector512.FusedMultiplyAdd(a, b0, c00); c01 = Vector512.FusedMultiplyAdd(a, b1, c01);
            a = Vector512.Create(TA.FromSource ? packedA[1] = a1[p] : packedA[1]); c10 = Vector512.FusedMultiplyAdd(a, b0, c10); c11 = Vector512.FusedMultiplyAdd(a, b1, c11);
            a = Vector512.Create(TA.FromSource ? packedA[2] = a2[p] : packedA[2]); c20 = Vector512.FusedMultiplyAdd(a, b0, c20); c21 = Vector512.FusedMultiplyAdd(a, b1, c21);
            a = Vector512.Create(TA.FromSource ? packedA[3] = a3[p] : packedA[3]); c30 = Vector512.FusedMultiplyAdd(a, b0, c30); c31 = Vector512.FusedMultiplyAdd(a, b1, c31);
            a = Vector512.Create(TA.FromSource ? packedA[4] = a4[p] : packedA[4]); c40 = Vector512.FusedMultiplyAdd(a, b0, c40); c41 = Vector512.FusedMultiplyAdd(a, b1, c41);
            a = Vector512.Create(TA.FromSource ? packedA[5] = a5[p] : packedA[5]); c50 = Vector512.FusedMultiplyAdd(a, b0, c50); c51 = Vector512.FusedMultiplyAdd(a, b1, c51);
            a = Vector512.Create(TA.FromSource ? packedA[6] = a6[p] : packedA[6]); c60 = Vector512.FusedMultiplyAdd(a, b0, c60); c61 = Vector512.FusedMultiplyAdd(a, b1, c61);
            a = Vector512.Create(TA.FromSource ? packedA[7] = a7[p] : packedA[7]); c70 = Vector512.FusedMultiplyAdd(a, b0, c70); c71 = Vector512.FusedMultiplyAdd(a, b1, c71);
            a = Vector512.Create(TA.FromSource ? packedA[8] = a8[p] : packedA[8]); c80 = Vector512.FusedMultiplyAdd(a, b0, c80); c81 = Vector512.FusedMultiplyAdd(a, b1, c81);
            a = Vector512.Create(TA.FromSource ? packedA[9] = a9[p] : packedA[9]); c90 = Vector512.FusedMultiplyAdd(a, b0, c90); c91 = Vector512.FusedMultiplyAdd(a, b1, c91);
            a = Vector512.Create(TA.FromSource ? packedA[10] = a10[p] : packedA[10]); c100 = Vector512.FusedMultiplyAdd(a, b0, c100); c101 = Vector512.FusedMultiplyAdd(a, b1, c101);
            a = Vector512.Create(TA.FromSource ? packedA[11] = a11[p] : packedA[11]); c110 = Vector512.FusedMultiplyAdd(a, b0, c110); c111 = Vector512.FusedMultiplyAdd(a, b1, c111);
            packedA += Rows;
            packedB += Columns;
        }
        MicroKernel512.Store(c, accumulate, c00, c01); c += ldc;
        MicroKernel512.Store(c, accumulate, c10, c11); c += ldc;
        MicroKernel512.Store(c, accumulate, c20, c21); c += ldc;
        MicroKernel512.Store(c, accumulate, c30, c31); c += ldc;
        MicroKernel512.Store(c, accumulate, c40, c41); c += ldc;
        MicroKernel512.Store(c, accumulate, c50, c51); c += ldc;
        MicroKernel512.Store(c, accumulate, c60, c61); c += ldc;
        MicroKernel512.Store(c, accumulate, c70, c71); c += ldc;
        MicroKernel512.Store(c, accumulate, c80, c81); c += ldc;
        MicroKernel512.Store(c, accumulate, c90, c91); c += ldc;
        MicroKernel512.Store(c, accumulate, c100, c101); c += ldc;
        MicroKernel512.Store(c, accumulate, c110, c111);
    }
}
