// The last few rows of a streamed-B product, without padding them to a vector of rows.
//
// The streamed kernels hold C transposed, rows along the vectors, so an expert's rows are padded
// to a multiple of 16 (AVX-512): 65 rows cost as much as 80, 21 as much as 32. The benchmark's
// uneven experts (21/43/65/86/108 rows) spent about 14 % of their FMAs on padding. The rows left
// over after the last whole vector, when there are at most 8 of them, run here instead, in the
// ordinary orientation: the rows broadcast from a packed Ã panel of 8 rows, B's row p loaded in
// place as two vectors of 32 columns. Its FMAs grow with 8 rows, not 16, and B's block is still
// in L2 from the row groups before. The tile goes to a row-major scratch block that the driver
// adds into C once all depth blocks are summed, as the transposed groups do.
// It is MicroKernel512's 8×32 tile with B read in place (row stride, prefetch two tiles on)
// instead of from a packed panel: copying each 64×32 piece of B into a panel and calling
// MicroKernel512 measured 0.94–0.97× this (in-process, 64 experts of 21, 65 and 86 rows and
// the uneven E = 64 benchmark).
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SwitchNative.Devices.Cpu.Gemm;

/// <summary>8 rows × 32 columns of C (not transposed), B read in place (AVX-512).</summary>
internal static unsafe class StreamedBResidualKernel
{
    /// <summary>Rows of the tile (and of its packed Ã panel; rows past the valid ones are zeros).</summary>
    public const int Rows = 8;

    /// <summary>Columns of the tile: two vectors.</summary>
    public const int Columns = 32;

    /// <summary>
    /// <c>output[i·outputStride + c] (+)= Σ_p packedA[p·8 + i] · b[p·rowStride + c]</c> for i &lt; 8 and
    /// c &lt; 32 (overwrites when <paramref name="accumulate"/> is false).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int depth, float* packedA, float* b, long rowStride, long prefetchOffset, float* output, long outputStride, bool accumulate)
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
        for (int p = 0; p < depth; p++)
        {
            if (Sse.IsSupported) Sse.Prefetch1(b + prefetchOffset);
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + 16);
            var a = Vector512.Create(packedA[0]); c00 = Vector512.FusedMultiplyAdd(a, b0, c00); c01 = Vector512.FusedMultiplyAdd(a, b1, c01);
            a = Vector512.Create(packedA[1]); c10 = Vector512.FusedMultiplyAdd(a, b0, c10); c11 = Vector512.FusedMultiplyAdd(a, b1, c11);
            a = Vector512.Create(packedA[2]); c20 = Vector512.FusedMultiplyAdd(a, b0, c20); c21 = Vector512.FusedMultiplyAdd(a, b1, c21);
            a = Vector512.Create(packedA[3]); c30 = Vector512.FusedMultiplyAdd(a, b0, c30); c31 = Vector512.FusedMultiplyAdd(a, b1, c31);
            a = Vector512.Create(packedA[4]); c40 = Vector512.FusedMultiplyAdd(a, b0, c40); c41 = Vector512.FusedMultiplyAdd(a, b1, c41);
            a = Vector512.Create(packedA[5]); c50 = Vector512.FusedMultiplyAdd(a, b0, c50); c51 = Vector512.FusedMultiplyAdd(a, b1, c51);
            a = Vector512.Create(packedA[6]); c60 = Vector512.FusedMultiplyAdd(a, b0, c60); c61 = Vector512.FusedMultiplyAdd(a, b1, c61);
            a = Vector512.Create(packedA[7]); c70 = Vector512.FusedMultiplyAdd(a, b0, c70); c71 = Vector512.FusedMultiplyAdd(a, b1, c71);
            packedA += 8;
            b += rowStride;
        }
        MicroKernel512.Store(output, accumulate, c00, c01); output += outputStride;
        MicroKernel512.Store(output, accumulate, c10, c11); output += outputStride;
        MicroKernel512.Store(output, accumulate, c20, c21); output += outputStride;
        MicroKernel512.Store(output, accumulate, c30, c31); output += outputStride;
        MicroKernel512.Store(output, accumulate, c40, c41); output += outputStride;
        MicroKernel512.Store(output, accumulate, c50, c51); output += outputStride;
        MicroKernel512.Store(output, accumulate, c60, c61); output += outputStride;
        MicroKernel512.Store(output, accumulate, c70, c71);
    }
}
