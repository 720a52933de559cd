// Packing the next Ã micro-panel from inside the tiles of the row before it.
//
// A product with many rows packs each depth block of op(A) (up to 3072 × 512) before its tiles
// run, a pass that does nothing else: PackA read A's 12 rows of a panel at once and transposed
// them, 8 depth steps at a time, into Ã (Ã[p·12 + i] = A[i, p]). Skipping it (wrong results,
// timing only) ran 1024³ 1.026 and 2048³ 1.017 times as fast on 1 thread. The tiles leave load
// and store slots free (per step: 24 FMAs, 2 B̃ loads, 12 broadcasts), so where A is row-major and
// α = 1 the tiles of each row of the first column block copy the next row's panel into Ã as they
// run: one depth step of it (A[i, p] for its 12 rows) every StepsPerCopy steps of a tile, so a
// row of 8 tiles of depth 512 copies all 512 steps; what a shorter row leaves is copied after it.
// Each copied step is 12 integer loads and stores (the bits of the floats), not vector moves: a
// vector temporary in the tile's loop, or the AVX2 gathers tried first (VEX-encoded, so limited
// to registers 0–15), made the JIT spill accumulators (the gathers: 0.75× as fast). Each step
// also prefetches one of the rows a few lines ahead (rows lda floats apart share L1 sets, and
// each source line is read over 16 copies).
// In-process, old time / new (the whole block packed first), rotating order, 31–61 rounds, two
// or three runs, bit-identical: 1 thread 1024³ 1.013–1.019, 2048³ 1.011–1.015, 640×512×2048
// 1.007–1.010, 4096×512×2048 (the shared-B̃ bands) 1.009–1.011; 2 threads 1024³ 1.003–1.021,
// 2048³ 1.008–1.014, 4096×512×2048 1.014. Without the prefetch (an earlier build) 0.98–1.02.
// A blocked Ã layout instead (16 depth steps of each row contiguous, so the copy is one 64-byte
// move per row and step block) ran the tiles slower: 2048³ 0.99 with nothing packed at all, as
// each step reads 12 lines instead of one.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace SwitchNative.Devices.Cpu.Gemm;

/// <summary>
/// The rest of one 12-row Ã micro-panel to copy from A's rows: depth step by depth step,
/// <see cref="Steps"/> of them, from <see cref="Source"/> (row 0 of A at the next step; rows
/// <see cref="SourceStride"/> floats apart) to <see cref="Target"/> (12 floats a step).
/// </summary>
internal unsafe struct GemmPanelCopy(float* source, long sourceStride, float* target, int steps)
{
    /// <summary>Rows of the panel (TallMicroKernel512's).</summary>
    public const int Rows = 12;

    /// <summary>A tile copies one depth step every this many of its own.</summary>
    public const int StepsPerCopy = 8;

    // Floats ahead of the copy at which each source row is prefetched (2 lines, 32 copies).
    private const int PrefetchAheadFloats = 32;

    public float* Source = source;
    public long SourceStride = sourceStride;
    public float* Target = target;
    public int Steps = steps;

    /// <summary>Nothing to copy.</summary>
    public static GemmPanelCopy None => default;

    /// <summary>
    /// Copies one depth step (A[i, p] for the 12 rows into Ã[p·12 + i]) and advances the cursor;
    /// every step also prefetches one row's line ahead, in turn.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Step(ref float* source, long stride, ref float* target, ref int steps)
    {
        int prefetchedRow = steps & 15;
        if (prefetchedRow < Rows && Sse.IsSupported) Sse.Prefetch0(source + prefetchedRow * stride + PrefetchAheadFloats);
        int* from = (int*)source, to = (int*)target;
        for (int i = 0; i < Rows; i++)
        {
            to[i] = *from;
            from += stride;
        }
        source++;
        target += Rows;
        steps--;
    }

    /// <summary>Copies every step left (what the row's tiles did not).</summary>
    public void Finish()
    {
        while (Steps > 0) Step(ref Source, SourceStride, ref Target, ref Steps);
    }
}
