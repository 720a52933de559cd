// The streamed-B tiles of an expert's first row group prefetch B a few chunks ahead, in order
// along B's rows, one piece a depth step (see StreamedBGemm for the loops).
//
// A tile reads KC = 64 rows of B a row stride (8 KB at N = 2048) apart, a line of each row every
// few tiles; its in-row prefetch (a line two on, StreamedBGemm.PrefetchAhead) asks for lines in
// that same order: 64 rows interleaved, one line each. Memory serves that worse than runs along a
// row (a C probe of the pattern read 14–22 GB/s on one core, against 28–43 for tiles reading 4–8
// lines of a row at once), and B's memory time shows on two threads above all. So each tile of the
// first group also walks one row of the chunk SweepDistance chunks ahead (or two or three rows
// when the chunk has fewer tiles than KC), FloatsPerStep floats a depth step, so that over the
// chunk's tiles every row of that chunk is requested in order along the row, one prefetch a step
// beside the kernel's FMAs. By the time the loops reach the chunk its lines are in L2, and the
// in-row prefetches find them there. Nothing is read that the product does not read anyway, and
// the results do not change (prefetches only).
// Measured in-process on the Zen 5, 64 experts × 512 × 2048, old time / new, 21 alternating
// rounds, bit-identical results, as built (two runs each): the uneven experts 1.015–1.016 on
// 1 thread and 1.024–1.032 on 2; experts of 48 rows 1.006–1.012 / 1.010–1.021, 64 rows
// 1.000–1.007 / 1.020–1.024, 66 rows 1.001–1.022 / 1.011–1.038, 88 rows 1.020–1.021 /
// 1.030–1.040, 110 rows 1.018–1.030 / 1.031–1.035, 128 rows 0.998 / 0.998–1.013. While it was
// tuned (distance 1–4 chunks, the row threshold), the uneven experts read 1.004–1.038 in 28 runs.
// Bursts instead (each tile prefetching 24 lines of a row at once) had cost 11–39 %: a burst
// stalls on the core's outstanding misses, where one prefetch a step does not.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace SwitchNative.Devices.Cpu.Gemm;

/// <summary>
/// The rows of B one streamed-B tile sweeps into L2 as it runs: <see cref="Rows"/> rows starting at
/// <see cref="First"/>, <see cref="Gap"/> floats apart, each advanced by <see cref="FloatsPerStep"/>
/// floats a depth step.
/// </summary>
internal readonly unsafe struct StreamedBSweep(float* first, long gap, int rows)
{
    /// <summary>A chunk's columns over a block's depth: a tile's KC steps sweep one row of a chunk.</summary>
    public const int FloatsPerStep = StreamedBGemm.ColumnChunk / StreamedBGemm.DepthBlock;

    /// <summary>Most rows one tile sweeps (a chunk of 16-column tiles has 24 tiles for 64 rows).</summary>
    public const int MaximumRows = 3;

    // Chunks ahead of the running one that the first row group's tiles sweep into L2. In-process,
    // old time / new, 21 alternating rounds, 64 experts × 512 × 2048 (as at the top of the file):
    // 1, 2, 3 or 4 chunks ahead measured alike (uneven experts 1.004–1.038, 66 rows 1.001–1.029,
    // 110 rows 1.012–1.030 on 1 and 2 threads); two leave room in L2 on either side.
    private const int Distance = 2;

    // The first row group sweeps from this many rows on: its tiles (64×6 and 48×8) have FMAs enough
    // to hide the extra prefetches behind. A 32×12 or 16×16 first group, or the fused 16-row pass,
    // waits on memory already, and sweeping cost it or gained on 2 threads only (old time / new,
    // 1 / 2 threads: experts of 16 rows 0.97 / 0.97, 28 rows 0.98 / 0.95, 32 rows 0.98–0.99 /
    // 0.98–0.99, 36–44 rows 0.98–1.00 / 1.01–1.03; 21–24 rows, the fused pass cut into chunks so
    // that it could sweep, 0.92–0.96 / 0.97).
    public const int SweepingGroupRows = 48;

    // The chunk Distance chunks after the one at column `chunk` of the block (jc, pc), in the
    // order the loops take them (the block's later chunks, then the next depth block's), and its
    // depth rows; null past the rectangle's last depth block.
    public static float* ChunkAhead(GemmOperand b, int k, int jc, int nc, int pc, int chunk, out int rows)
    {
        const int width = StreamedBGemm.ColumnChunk, depth = StreamedBGemm.DepthBlock;
        int chunks = (nc + width - 1) / width;
        int index = chunk / width + Distance;
        int first = pc + index / chunks * depth;
        rows = Math.Max(0, Math.Min(depth, k - first));
        return rows == 0 ? null : b.Data + (long)first * b.Columns + jc + index % chunks * width;
    }

    public float* First { get; } = first;
    public long Gap { get; } = gap;
    public int Rows { get; } = rows;

    /// <summary>No sweep.</summary>
    public static StreamedBSweep None => default;

    /// <summary>
    /// Tile <paramref name="tile"/> of <paramref name="tiles"/> across a chunk sweeps rows tile,
    /// tile + tiles, … of the <paramref name="rows"/> rows at <paramref name="chunk"/> (null: none).
    /// </summary>
    public static StreamedBSweep ForTile(float* chunk, long rowStride, int rows, int tile, int tiles) =>
        chunk == null || tile >= rows ? None
            : new StreamedBSweep(chunk + tile * rowStride, tiles * rowStride, Math.Min(MaximumRows, (rows - tile + tiles - 1) / tiles));

    /// <summary>Prefetches (to L2) this step's piece of each swept row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Issue(float* sweep, long gap, int rows)
    {
        if (rows <= 0) return;
        Sse.Prefetch1(sweep);
        if (rows <= 1) return;
        Sse.Prefetch1(sweep + gap);
        if (rows <= 2) return;
        Sse.Prefetch1(sweep + 2 * gap);
    }
}
