// The 16-row group and the residual rows of an expert of 17–24 rows, in one pass over B.
//
// Such an expert is one 16-row group (StreamedBKernel16x16) and 1–8 residual rows
// (StreamedBResidualKernel). Run one after the other, the group's pass reads B from memory for
// only 16 FMAs per line and waits on it, and then the residual pass computes from L2: on 64 such
// experts × 512 × 2048 the residual pass took a quarter of the time. Here both share each step:
// the group's 16 values of B's row p are broadcast against Ã's vector of 16 rows, and the same 16
// values, loaded once as a vector, multiply the R residual rows' broadcasts (Cᵀ for the group,
// row-major for the residual rows, as the two kernels store them; R = 2, 4, 6 or 8, the fewest
// that hold the rows, as StreamedBResidualKernel picks). 16 + R FMAs and 18 + R loads per step,
// 16 + R zmm accumulators. Each element is summed as in the two kernels (one FMA per step, in
// order of p), so results are bit-identical to the two passes. R = 6 instead of 8 for 5–6 rows,
// on the Zen 5 (in-process, 64 experts × 512 × 2048, 1 thread, three runs): 21 rows 66–67 % →
// 72–73 % of one 4096-row product, 22 rows 69 % → 75 %, the uneven 64 experts 85 % → 86 %.
// In-process, old time / new, rotating order, 64 experts × 512 × 2048 (three runs): 17 rows
// 1.04–1.07, 18 rows 1.09, 21 rows 1.07–1.11, 24 rows 1.08–1.12, on 1 and 2 threads; the uneven
// benchmark 0.99–1.03 (its 21-row experts are a tenth of its time). An earlier attempt at this
// pass, not kept, measured 1.01–1.02.
// The same pass for the last 16 rows of an expert of 65–72 or 129–136 rows (its last 64 rows as 48
// + this pass instead of 64 + the residual pass; bit-identical), with StreamedBSweep in place:
// 65, 66, 72 and 130 rows and the uneven 64 experts 0.979–1.006 (1 and 2 threads), not kept.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SwitchNative.Devices.Cpu.Gemm;

/// <summary>A 16-row streamed-B group tile and an R-row residual tile over the same 16 columns (AVX-512).</summary>
internal static unsafe class StreamedBGroupWithResidualKernel
{
    /// <summary>Rows of the group (one vector), and columns of both tiles.</summary>
    public const int GroupRows = 16;

    /// <inheritdoc cref="GroupRows"/>
    public const int Columns = 16;

    /// <summary>Rows of the residual tile (and of its packed Ã panel; rows past the valid ones are zeros).</summary>
    public const int ResidualRows = 8;

    /// <summary>
    /// <c>columnsOut[c·16 + i] (+)= Σ_p packedA[p·16 + i] · b[p·rowStride + c]</c> for i, c &lt; 16, and
    /// <c>residualOut[r·residualStride + c] (+)= Σ_p packedResidual[p·8 + r] · b[p·rowStride + c]</c> for
    /// r &lt; 8 (overwrites when <paramref name="accumulate"/> is false).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run<TRows>(int depth, float* packedA, float* packedResidual, float* b, long rowStride, long prefetchOffset, float* columnsOut, float* residualOut, long residualStride, bool accumulate)
        where TRows : struct, IResidualRowCount
    {
        Vector512<float> g0 = default;
        Vector512<float> g1 = default;
        Vector512<float> g2 = default;
        Vector512<float> g3 = default;
        Vector512<float> g4 = default;
        Vector512<float> g5 = default;
        Vector512<float> g6 = default;
        Vector512<float> g7 = default;
        Vector512<float> g8 = default;
        Vector512<float> g9 = default;
        Vector512<float> g10 = default;
        Vector512<float> g11 = default;
        Vector512<float> g12 = default;
        Vector512<float> g13 = default;
        Vector512<float> g14 = default;
        Vector512<float> g15 = default;
        Vector512<float> r0 = default;
        Vector512<float> r1 = default;
        Vector512<float> r2 = default;
        Vector512<float> r3 = default;
        Vector512<float> r4 = default;
        Vector512<float> r5 = default;
        Vector512<float> r6 = default;
        Vector512<float> r7 = default;
        for (int p = 0; p < depth; p++)
        {
            if (Sse.IsSupported) Sse.Prefetch1(b + prefetchOffset);
            var a = Vector512.Load(packedA);
            var row = Vector512.Load(b);
            g0 = Vector512.FusedMultiplyAdd(a, Vector512.Create(b[0]), g0);
            g1 = Vector512.FusedMultiplyAdd(a, Vector512.Create(b[1]), g1);
            r0 = Vector512.FusedMultiplyAdd(Vector512.Create(packedResidual[0]), row, r0);
            g2 = Vector512.FusedMultiplyAdd(a, Vector512.Create(b[2]), g2);
            g3 = Vector512.FusedMultiplyAdd(a, Vector512.Create(b[3]), g3);
            r1 = Vector512.FusedMultiplyAdd(Vector512.Create(packedResidual[1]), row, r1);
            g4 = Vector512.FusedMultiplyAdd(a, Vector512.Create(b[4]), g4);
            g5 = Vector512.FusedMultiplyAdd(a, Vector512.Create(b[5]), g5);
            if (TRows.Rows > 2) r2 = Vector512.FusedMultiplyAdd(Vector512.Create(packedResidual[2]), row, r2);
            g6 = Vector512.FusedMultiplyAdd(a, Vector512.Create(b[6]), g6);
            g7 = Vector512.FusedMultiplyAdd(a, Vector512.Create(b[7]), g7);
            if (TRows.Rows > 3) r3 = Vector512.FusedMultiplyAdd(Vector512.Create(packedResidual[3]), row, r3);
            g8 = Vector512.FusedMultiplyAdd(a, Vector512.Create(b[8]), g8);
            g9 = Vector512.FusedMultiplyAdd(a, Vector512.Create(b[9]), g9);
            if (TRows.Rows > 4) r4 = Vector512.FusedMultiplyAdd(Vector512.Create(packedResidual[4]), row, r4);
            g10 = Vector512.FusedMultiplyAdd(a, Vector512.Create(b[10]), g10);
            g11 = Vector512.FusedMultiplyAdd(a, Vector512.Create(b[11]), g11);
            if (TRows.Rows > 5) r5 = Vector512.FusedMultiplyAdd(Vector512.Create(packedResidual[5]), row, r5);
            g12 = Vector512.FusedMultiplyAdd(a, Vector512.Create(b[12]), g12);
            g13 = Vector512.FusedMultiplyAdd(a, Vector512.Create(b[13]), g13);
            if (TRows.Rows > 6) r6 = Vector512.FusedMultiplyAdd(Vector512.Create(packedResidual[6]), row, r6);
            g14 = Vector512.FusedMultiplyAdd(a, Vector512.Create(b[14]), g14);
            g15 = Vector512.FusedMultiplyAdd(a, Vector512.Create(b[15]), g15);
            if (TRows.Rows > 7) r7 = Vector512.FusedMultiplyAdd(Vector512.Create(packedResidual[7]), row, r7);
            packedA += GroupRows;
            packedResidual += TRows.Rows;
            b += rowStride;
        }
        StreamedBColumn.Store(columnsOut + 0, accumulate, g0);
        StreamedBColumn.Store(columnsOut + 16, accumulate, g1);
        StreamedBColumn.Store(columnsOut + 32, accumulate, g2);
        StreamedBColumn.Store(columnsOut + 48, accumulate, g3);
        StreamedBColumn.Store(columnsOut + 64, accumulate, g4);
        StreamedBColumn.Store(columnsOut + 80, accumulate, g5);
        StreamedBColumn.Store(columnsOut + 96, accumulate, g6);
        StreamedBColumn.Store(columnsOut + 112, accumulate, g7);
        StreamedBColumn.Store(columnsOut + 128, accumulate, g8);
        StreamedBColumn.Store(columnsOut + 144, accumulate, g9);
        StreamedBColumn.Store(columnsOut + 160, accumulate, g10);
        StreamedBColumn.Store(columnsOut + 176, accumulate, g11);
        StreamedBColumn.Store(columnsOut + 192, accumulate, g12);
        StreamedBColumn.Store(columnsOut + 208, accumulate, g13);
        StreamedBColumn.Store(columnsOut + 224, accumulate, g14);
        StreamedBColumn.Store(columnsOut + 240, accumulate, g15);
        StreamedBColumn.Store(residualOut + 0 * residualStride, accumulate, r0);
        StreamedBColumn.Store(residualOut + 1 * residualStride, accumulate, r1);
        if (TRows.Rows > 2) StreamedBColumn.Store(residualOut + 2 * residualStride, accumulate, r2);
        if (TRows.Rows > 3) StreamedBColumn.Store(residualOut + 3 * residualStride, accumulate, r3);
        if (TRows.Rows > 4) StreamedBColumn.Store(residualOut + 4 * residualStride, accumulate, r4);
        if (TRows.Rows > 5) StreamedBColumn.Store(residualOut + 5 * residualStride, accumulate, r5);
        if (TRows.Rows > 6) StreamedBColumn.Store(residualOut + 6 * residualStride, accumulate, r6);
        if (TRows.Rows > 7) StreamedBColumn.Store(residualOut + 7 * residualStride, accumulate, r7);
    }
}
