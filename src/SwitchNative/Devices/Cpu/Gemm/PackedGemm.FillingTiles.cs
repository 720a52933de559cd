// Packing inside the tiles, for products with many rows and few columns (N ≤ ColumnBlock).
//
// With N ≤ 512 a depth block's whole B̃ (KC × N, at most 1 MB) fits one thread's own buffer and
// its L2. SharedPackedBPlan then packs no shared B̃: each thread's first band of a step packs its
// own, from inside that band's first row of tiles, which read B from its rows and store what they
// read into B̃ (FillingMicroKernel512); its later rows and bands read B̃. Likewise the first tile
// of every row reads A's 12 rows and stores Ã's micro-panel as it goes (a row-major A, α = 1;
// otherwise the band's Ã is packed first). So A and B are read once, by tiles that also compute,
// instead of by PackA and PackB passes before the tiles; and on 2 threads no thread waits while
// the other packs the step's B̃ (one pack unit, the whole B̃, at N = 512). Each thread reads B
// from L3 once per step instead of once in all. Results are bit-identical to packing first.
//
// Packing was 12 % of 640×2048×512 on 1 thread (PackA 0.59 + PackB 0.63 of 10.0 ms). In-process,
// old time / new, rotating order, 25 rounds, three runs (a noisy machine):
//   1 thread:  640×2048×512 1.04–1.07, dX = dY·W (4096×2048×512) 1.02–1.03, 1024×2048×512
//              1.04–1.06, 640×512×512 1.03–1.07, 3000×256×128 1.03–1.08, 256×2048×512 0.99–1.00;
//   2 threads: 640×2048×512 1.01–1.04, dX 1.00–1.03, 1024×2048×512 1.04–1.07, 640×512×512
//              1.05–1.06, 3000×256×128 1.04–1.06, 256×2048×512 1.11.
// Where the rest goes, 640×2048×512 on 1 thread: the same tiles with nothing packed (wrong
// results, timing only) run 1.14–1.18× the old code; reading A in the tiles costs about 5 % of
// that and reading B about 6 % (before B's rows were also prefetched into L2, 64 rows ahead:
// 1.02–1.03× with it). Tried and dropped: bringing the next row's A source into L2 from the
// current row's later tiles, no gain (1.00); reading B in place in every tile, never packing it:
// 1 thread 640×2048×512 0.97–1.02, dX 0.92–1.00, 4096×512×2048 0.82 (B's rows N floats apart
// share few L1 sets and TLB entries, and a tile walks 512 of them); filling B̃ from the first row
// of tiles in RunManyRows too (B's rows 1024–2048 floats apart, one L1 set or two): 1024³,
// 2048³ and 640×512×2048 0.99–1.02; filling Ã from the first column block's tiles where N > 512
// (RunManyRows, and SharedPackedBPlan's bands), B̃ packed as before: 1 thread 1024³, 2048³,
// 640×512×2048, 4096×512×2048 and A·Bᵀ 0.96–1.02, 2 threads 0.94–1.03 (two runs).
using System.Runtime.CompilerServices;

namespace SwitchNative.Devices.Cpu.Gemm;

internal sealed unsafe partial class PackedGemm<TKernel, TFewRowsKernel>
{
    // Whether SharedPackedBPlan packs inside the tiles (see the top of the file): the 12×32
    // AVX-512 tile, a row-major B of at most ColumnBlock columns. Ã is filled only when PackA
    // would be a plain copy (a row-major A, α = 1); otherwise the band's Ã is packed first.
    private static bool FillsInTiles(GemmProblem problem) =>
        typeof(TKernel) == typeof(TallMicroKernel512) && !problem.B.Transposed && problem.N <= ColumnBlock;

    private static bool FillsAInTiles(GemmProblem problem) => !problem.A.Transposed && problem.Alpha == 1f;

    /// <summary>
    /// Rows [ic, ic + mc) × columns [jc, jc + nc) of C over depth block [pc, pc + kc), the tiles along
    /// rows. <paramref name="fillA"/>: Ã is not packed yet, and the first tile of each row packs it
    /// into <paramref name="packedA"/> (a row-major A, α = 1); otherwise it is there already.
    /// <paramref name="fillB"/>: likewise B̃ (a row-major B), packed into <paramref name="packedB"/> by the first row of tiles.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void FillingMacroKernel(GemmProblem problem, int ic, int mc, int pc, int kc, int jc, int nc, bool accumulate, bool fillA, bool fillB, float* packedA, float* packedB)
    {
        const int rows = FillingMicroKernel512.Rows, columns = FillingMicroKernel512.Columns;
        int ldc = problem.N;
        int wholeRows = fillA ? mc / rows * rows : 0, wholeColumns = fillB ? nc / columns * columns : 0;
        // What the tiles cannot fill from a full 12-row or 32-column source is packed first (zero-padded).
        if (fillA && wholeRows < mc) GemmPacking.PackA(problem.A, ic + wholeRows, mc - wholeRows, pc, kc, problem.Alpha, rows, packedA + (long)wholeRows * kc);
        if (fillB && wholeColumns < nc) GemmPacking.PackB(problem.B, pc, kc, jc, nc, columns, wholeColumns / columns, 1, packedB);
        long lda = problem.K, ldb = problem.N;
        float* sourceA = problem.A.Data + (long)ic * lda + pc, sourceB = problem.B.Data + (long)pc * ldb + jc;
        float* c = problem.C + (long)ic * ldc + jc;
        float* scratch = stackalloc float[rows * columns];
        int rowTiles = (mc + rows - 1) / rows, columnTiles = (nc + columns - 1) / columns;
        for (int rowTile = 0; rowTile < rowTiles; rowTile++)
        {
            int row = rowTile * rows, mr = Math.Min(rows, mc - row);
            for (int columnTile = 0; columnTile < columnTiles; columnTile++)
            {
                int column = columnTile * columns, nr = Math.Min(columns, nc - column);
                // The next tile of C, so its loads and stores at the end hit L1 (as MacroKernel does).
                int nextRow = columnTile + 1 < columnTiles ? row : row + rows, nextColumn = columnTile + 1 < columnTiles ? column + columns : 0;
                if (nextRow < mc) PrefetchTile<TallMicroKernel512>(c, ldc, mc, nc, nextRow, nextColumn);
                bool readsA = column == 0 && row < wholeRows, readsB = rowTile == 0 && column < wholeColumns;
                float* panelA = packedA + (long)row * kc, panelB = packedB + (long)column * kc;
                bool whole = mr == rows && nr == columns;
                float* target = whole ? c + (long)row * ldc + column : scratch;
                int targetStride = whole ? ldc : columns;
                bool accumulateTarget = whole && accumulate;
                float* rowA = sourceA + (long)row * lda, columnB = sourceB + column;
                if (readsA && readsB) FillingMicroKernel512.Run<OperandFromSource, OperandFromSource>(kc, rowA, lda, panelA, columnB, ldb, panelB, target, targetStride, accumulateTarget);
                else if (readsA) FillingMicroKernel512.Run<OperandFromSource, OperandFromPanel>(kc, rowA, lda, panelA, columnB, ldb, panelB, target, targetStride, accumulateTarget);
                else if (readsB) FillingMicroKernel512.Run<OperandFromPanel, OperandFromSource>(kc, rowA, lda, panelA, columnB, ldb, panelB, target, targetStride, accumulateTarget);
                else TallMicroKernel512.Run(kc, panelA, panelB, target, targetStride, accumulateTarget, GemmSourcePrefetch.None);
                if (!whole) AddEdge(scratch, columns, c + (long)row * ldc + column, ldc, mr, nr, accumulate);
            }
        }
    }
}
