// Software prefetch of the next B block's source, issued from inside the micro-kernel.
//
// For a product with few rows of A (an expert's 64 tokens), every block of B is multiplied
// against those few rows only, so packing B — reading it from memory — costs as much as the
// multiply it feeds (64 experts × 512×2048 weights = 256 MB per grouped product). Prefetches
// run in the background, so the next block's source lines are requested while the current
// block is being multiplied: one line every few FMA steps, spread over all the micro-kernel
// calls of the block, and the packing then reads from L2. A 1-thread grouped E = 64 product
// went from 93–94 to 103–104 GFLOP/s with this and the smaller column block it needs (the
// packed block and the prefetched source must both fit in L2; with 2 MB blocks the prefetch
// evicted the block in use and gained nothing).
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace SwitchNative.Devices.Cpu.Gemm;

/// <summary>
/// A run of cache lines for one micro-kernel call to prefetch: <see cref="Count"/> lines
/// starting at line <see cref="Line"/> of row <see cref="Row"/>, rows <see cref="Stride"/>
/// floats apart with <see cref="LinesPerRow"/> lines each.
/// </summary>
internal readonly unsafe struct GemmSourcePrefetch(float* row, long stride, int linesPerRow, int line, int count)
{
    /// <summary>One line is requested every this many depth steps of the micro-kernel.</summary>
    public const int StepsPerLine = 4;

    public const int FloatsPerLine = 16;

    public float* Row { get; } = row;
    public long Stride { get; } = stride;
    public int LinesPerRow { get; } = linesPerRow;
    public int Line { get; } = line;
    public int Count { get; } = count;

    /// <summary>No prefetching.</summary>
    public static GemmSourcePrefetch None => default;

    /// <summary>Requests one line (a hint: a prefetch never faults) and advances the cursor.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Issue(ref float* row, long stride, int linesPerRow, ref int line, ref int count)
    {
        if (count <= 0) return;
        if (Sse.IsSupported) Sse.Prefetch1(row + line * FloatsPerLine);
        count--;
        if (++line == linesPerRow)
        {
            line = 0;
            row += stride;
        }
    }
}
