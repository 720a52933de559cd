// Packing inside the tiles, on the AVX-512 12×32 tile with a row-major B.
//
// The first row of tiles over a B̃ block reads B where it lies and stores what it reads into B̃
// (FillingMicroKernel512); the later rows read B̃. So B is read once, by tiles that also compute,
// instead of by a PackB pass before them. Where the caller has packed Ã already (RunManyRows,
// SharedPackedAPlan's column blocks) only the first row packs, then MacroKernel runs the rest.
//
// With N ≤ WholeBColumns (512) a depth block's whole B̃ (KC × N, at most 1 MB) fits one thread's
// own buffer and its L2, so SharedPackedBPlan packs no shared B̃: each thread's first band of a
// step packs its own from that band's first row of tiles; its later rows and bands read it. The
// first tile of every row packs Ã the same way (a row-major A, α = 1; otherwise the band's Ã is
// packed first). So on 2 threads no thread waits while the other packs the step's B̃ (one pack
// unit, the whole B̃, at N = 512); each thread reads B from L3 once per step instead of once in
// all. Results are bit-identical to packing first: the FMAs and their order are the same.
//
// Packing was 12 % of 640×2048×512 on 1 thread (PackA 0.59 + PackB 0.63 of 10.0 ms). In-process,
// old time / new, rotating order, 25 rounds, three runs (a noisy machine):
//   N ≤ 512, 1 thread:  640×2048×512 1.04–1.07, dX = dY·W (4096×2048×512) 1.02–1.03,
//              1024×2048×512 1.04–1.06, 640×512×512 1.03–1.07, 3000×256×128 1.03–1.08,
//              256×2048×512 0.99–1.00;
//   N ≤ 512, 2 threads: 640×2048×512 1.01–1.04, dX 1.00–1.03, 1024×2048×512 1.04–1.07,
//              640×512×512 1.05–1.06, 3000×256×128 1.04–1.06, 256×2048×512 1.11.
//   B̃ filled by the first row only, where N > 512 (three runs of a calm machine): 1 thread
//              1024³ 1.01–1.02, 2048³ 1.01–1.02, 640×512×2048 1.01–1.03, dW = Xᵀ·dY 1.02,
//              1024×512×1024 1.01–1.02, 2048×256×768 1.00–1.01; 2 threads dW 1.01–1.03 (the
//              other shapes run SharedPackedBPlan's shared B̃ there).
// Where the rest goes, 640×2048×512 on 1 thread: the same tiles with nothing packed (wrong
// results, timing only) run 1.14–1.18× the old code; reading A in the tiles costs about 5 % of
// that and reading B about 6 % (before B's rows were also prefetched into L2, 64 rows ahead:
// 1.02–1.03× with it). Tried and dropped: bringing the next row's A source into L2 from the
// current row's later tiles, no gain (1.00); reading B in place in every tile, never packing it:
// 1 thread 640×2048×512 0.97–1.02, dX 0.92–1.00, 4096×512×2048 0.82 (B's rows N floats apart
// share few L1 sets and TLB entries, and a tile walks 512 of them); B's rows prefetched to L1
// 2 or 4 rows ahead instead of 8 where they are 1024–2048 floats apart (one L1 set or two):
// no different; filling Ã from the first column block's tiles where N > 512 (RunManyRows, and
// SharedPackedBPlan's bands), B̃ packed as before: 1 thread 1024³, 2048³, 640×512×2048,
// 4096×512×2048 and A·Bᵀ 0.96–1.02, 2 threads 0.94–1.03 (two runs); in RunManyRows with B̃
// filled by the first row as well (so the first block runs FillingMacroKernel whole), against
// B̃ alone: 1 thread 1024³ 1.00–1.02, 2048³ 1.01, 640×512×2048 0.99–1.01 (three runs), though
// skipping PackA there altogether (wrong results) measured 1.04–1.05 on 1024³: A's 12 rows,
// 1024 floats apart, share one L1 set. What does gain there: the rows of tiles copying the next
// row's Ã panel a step at a time (GemmPanelCopy.cs).
using System.Runtime.CompilerServices;

namespace SwitchNative.Devices.Cpu.Gemm;

internal sealed unsafe partial class PackedGemm<TKernel, TFewRowsKernel>
{
    // Whether the tiles pack B̃ (see the top of the file): the 12×32 AVX-512 tile, a row-major B.
    private static bool FillsBInTiles(GemmProblem problem) => typeof(TKernel) == typeof(TallMicroKernel512) && !problem.B.Transposed;

    // Whether SharedPackedBPlan shares no B̃ and each thread's tiles pack their own: N ≤ WholeBColumns.
    private static bool PacksOwnBInTiles(GemmProblem problem) => FillsBInTiles(problem) && problem.N <= WholeBColumns;

    // Whether the tiles can pack Ã too: when PackA would be a plain copy (a row-major A, α = 1).
    private static bool FillsAInTiles(GemmProblem problem) => !problem.A.Transposed && problem.Alpha == 1f;

    // Whether the tiles of RunManyRows' first column block copy Ã's panels (GemmPanelCopy.cs):
    // the 12×32 AVX-512 tile, a row-major A and B, α = 1.
    private static bool CopiesAInTiles(GemmProblem problem) => FillsBInTiles(problem) && FillsAInTiles(problem);

    // Packs the part of Ã block rows [ic, ic + mc) × depths [pc, pc + kc) that no tile copies:
    // its first headRows rows (all of it at headRows ≥ mc) and a ragged last panel.
    private static void PackAHead(GemmProblem problem, int ic, int mc, int pc, int kc, int headRows, float* packedA)
    {
        int wholeEnd = mc / TKernel.Rows * TKernel.Rows;
        GemmPacking.PackA(problem.A, ic, Math.Min(mc, headRows), pc, kc, problem.Alpha, TKernel.Rows, packedA);
        if (headRows <= wholeEnd && wholeEnd < mc)
            GemmPacking.PackA(problem.A, ic + wholeEnd, mc - wholeEnd, pc, kc, problem.Alpha, TKernel.Rows, packedA + (long)wholeEnd * kc);
    }

    /// <summary>
    /// MacroKernel over rows [ic, ic + mc) × columns [jc, jc + nc) of C and depth block [pc, pc + kc),
    /// Ã already in <paramref name="packedA"/>, B̃ packed into <paramref name="packedB"/> by the
    /// first row of tiles (when <see cref="FillsBInTiles"/>; otherwise by PackB first).
    /// <paramref name="copiesA"/> (only where <see cref="CopiesAInTiles"/>): only Ã's first two
    /// panels and any ragged last one are packed yet, and each later row of tiles copies the next
    /// whole panel from A.
    /// </summary>
    private static void MacroKernelPackingB(GemmProblem problem, float* packedA, float* packedB, int ic, int mc, int pc, int kc, int jc, int nc, bool accumulate, bool copiesA = false)
    {
        var none = GemmSourcePrefetcher.None;
        float* c = problem.C + (long)ic * problem.N + jc;
        if (!FillsBInTiles(problem))
        {
            GemmPacking.PackB(problem.B, pc, kc, jc, nc, TKernel.Columns, 0, Chunks(nc, TKernel.Columns), packedB);
            MacroKernel<TKernel>(packedA, packedB, c, problem.N, mc, nc, kc, accumulate, alongRows: true, ref none);
            return;
        }
        int first = Math.Min(FillingMicroKernel512.Rows, mc);
        FillingMacroKernel(problem, ic, first, pc, kc, jc, nc, accumulate, fillA: false, fillB: true, packedA, packedB);
        float* sourceA = copiesA ? problem.A.Data + (long)(ic + first) * problem.K + pc : null;
        if (mc > first) MacroKernel<TKernel>(packedA + (long)first * kc, packedB, c + (long)first * problem.N, problem.N, mc - first, nc, kc, accumulate, alongRows: true, ref none, sourceA, problem.K);
    }

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
                else if (mr <= TallMicroKernel512.MaximumShortRows && nr == columns)
                {
                    // The last row panel with few rows: straight into C, on its short tile (see EdgeTile).
                    TallMicroKernel512.RunRows(kc, panelA, panelB, c + (long)row * ldc + column, ldc, mr, accumulate, GemmSourcePrefetch.None);
                    continue;
                }
                else TallMicroKernel512.Run(kc, panelA, panelB, target, targetStride, accumulateTarget, GemmSourcePrefetch.None);
                if (!whole) AddEdge(scratch, columns, c + (long)row * ldc + column, ldc, mr, nr, accumulate);
            }
        }
    }
}
