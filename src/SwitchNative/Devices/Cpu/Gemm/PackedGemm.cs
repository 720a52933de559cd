// The BLIS-style GEMM driver: C = α·op(A)·op(B) + β·C.
//
// The figures in this folder's comments were measured on a 2-core Xeon (48 KB L1d, 2 MB L2 a
// core) until the project moved to the 2-core Zen 5 it names (48 KB L1d, 1 MB L2 a core, 32 MB
// L3); choices re-measured on the Zen 5 say so.
//
// A batch of products (one GEMM, or the grouped expert GEMMs) runs on a shared schedule
// (PackedGemm.SharedPacking.cs): some products with many rows in steps whose shared operand block
// the threads pack once together, any other product as rectangles of C (cut along N when N ≥ M,
// else along M, on tile boundaries; along M for the many-rows products of CutsRows) that each
// thread runs with its own packing buffers; threads take the pieces as they free up. Small
// batches run on one thread, each product whole. Two arrangements of the loops over a rectangle,
// chosen per product:
//
//  - Many rows (M > MC; OpenBLAS's arrangement):
//      for ic in M by 3072:              (one chunk for most products)
//        for pc in K by KC = 512:        pack op(A)[ic.., pc..] once (3072 × 512, 6 MB; a
//                                        row-major A, α = 1, on the 12 × 32 tile: only its
//                                        first panels, the first column block's rows of tiles
//                                        copy the rest: see GemmPanelCopy.cs)
//          for jc in N by NC = 256:      pack op(B)[pc.., jc..] (512 × 256, 512 KB: stays in L2; a
//                                        row-major B by the first row of tiles: see
//                                        PackedGemm.FillingTiles.cs)
//            12 × 32 tiles along each row of tiles: one A micro-panel (12 × 512, 24 KB)
//            stays in L1 for the row while the B micro-panels stream from L2, prefetched a
//            few steps ahead inside the micro-kernel.
//    The deep KC halves the passes over C (each loads and stores all of C) compared with a B
//    micro-panel that must fit in L1, and A — a strided transpose to pack for Xᵀ·dY — is
//    packed once instead of once per column block. Against the classic loops below this
//    took 2048³ from 1.07–1.17× slower than OpenBLAS to 1.02–1.03× and Xᵀ·dY from 1.04–1.06×
//    to 1.00–1.03× (1 thread, same-round paired timings). Remeasured with today's 12 × 32 tile:
//    BLIS's loops (jc by NC 512/1024 → pc by 256 → pack B̃ → ic by MC 240–960 → pack Ã → tiles down
//    each column, the B̃ micro-panel in L1 and Ã from L2) ran 0.88–0.98× this on 1024³, 2048³,
//    640×512×2048 and Xᵀ·dY (1 thread, rotating order). Packing each A micro-panel right before its
//    first row of tiles (so it is still in L1 for the first column block) instead of the whole
//    chunk first: 0.98–1.01 in three 31-round runs alternating the order (an earlier run without
//    alternation read 1.01–1.03: the order's bias). Per 2048³ product on 1 thread, packing was
//    5.4–5.9 ms of 128–134 (before GemmPacking's transposes were inlined); the macro-kernels alone
//    on already packed blocks take as long as OpenBLAS's whole product (122–129 ms against 124–128,
//    same runs). A deeper KC, for fewer passes over C: 768, 1024 and 2048 ran 0.94–1.00 of 512 on
//    Xᵀ·dY (K = 4096) and 0.95–0.98 on 1024³ (1 thread, rotating order, 21 rounds, two runs); a
//    shallower one, 256 or 384 (Ã and B̃ blocks that fit L2 together), 0.95–1.00 and 0.97–1.01 on
//    1024³, 2048³ and 640×512×2048 (1 thread, rotating order, 25 rounds, two or three runs). On
//    the Xeon, a narrower NC of 256 or 384 (so Xᵀ·dY's 1 MB Ã block and the B̃ block share L2 with room):
//    0.98–1.01 on Xᵀ·dY, 2048³ and 1024³. Packing, timed inside one 1-thread product (a slow phase
//    of the machine): 2048³ PackA 3.9 + PackB 3.0 ms of 156; 1024³ 0.8 + 0.7 of 20; Xᵀ·dY 3.8 + 5.6
//    of 81. Later (a slow phase again; these two run SharedPackedBPlan's loops): 640×2048×512 0.59
//    + 0.63 of 10.0 ms, so 12 % of the shape furthest behind OpenBLAS, whose tiles alone run at 152
//    GFLOP/s; 4096×512×2048 1.2 + 0.7 of 64. Tried to hide it behind the tiles and dropped (1
//    thread, rotating order, 25 rounds; bit-identical results): prefetching the next B block's
//    source during the last 25–100 % of the current block's tiles, 0.98–1.00; packing the next B̃
//    block into a second buffer a few rows after each tile, 0.98–1.01; packing each Ã micro-panel
//    just before its row of tiles while the next panel's source is prefetched from inside the
//    tiles, 0.99–1.00 (Xᵀ·dY 0.985). The rows' power-of-two stride is not what makes PackA slow: a
//    2048 × 512 block from L3 packs in 0.31 ms from contiguous rows (stride 512) and 0.38–0.41 ms
//    at strides 1024, 2048, 2064 and 4096 alike; inside the 2048³ product a block takes about 1 ms
//    because A then comes from memory.
//  - Few rows (M ≤ MC = 192, an expert's tokens): every B block is used by those few rows
//    only, so reading B dominates. With a row-major B, StreamedBGemm reads B in place
//    instead of packing it (see there; AVX-512, or AVX2 + FMA up to 32 rows: see Streamed);
//    with a transposed B, from 48 rows on AVX-512 StreamedTransposedBGemm reads Bᵀ's rows in
//    place, C's tile held transposed, and otherwise DotProductGemm reads A's and Bᵀ's rows in
//    place (the same) where it gains. Otherwise the classic loops (jc by 512 → pc by 256 → pack B → ic →
//    pack A) with 8 × 32 tiles (less padding than 12-row ones) down each column, so a B
//    micro-panel (256 × NR) stays in L1, and
//    the next B block's source is prefetched from inside the micro-kernel (GemmSourcePrefetch),
//    with blocks small enough that it and the packed block both fit in L2.
// The next tile of C is always prefetched.
//
// Every C element is summed in the same order whatever the partition: the KC blocks (fixed
// per product) run in sequence and every tile kernel sums each element's products in order
// of p, with one FMA per step, so results do not depend on the thread count or the tile.
// (DotProductGemm sums each element in a vector's lanes, 16 or 8, and then one fixed tree, the
// same for every element wherever its tile lies, so the same holds there; StreamedTransposedBGemm
// sums over all of K in one chain, and picks the rows it leaves to dot-product tiles per product.)
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace SwitchNative.Devices.Cpu.Gemm;

/// <summary>
/// Blocked, packed, multithreaded GEMM: <typeparamref name="TKernel"/> tiles products with many
/// rows, <typeparamref name="TFewRowsKernel"/> those with few (an expert's tokens).
/// </summary>
internal sealed unsafe partial class PackedGemm<TKernel, TFewRowsKernel> : IDisposable
    where TKernel : IGemmMicroKernel
    where TFewRowsKernel : IGemmMicroKernel
{
    /// <summary>KC of products with many rows: the depth of a packed block (A micro-panel MR × KC in L1).</summary>
    public const int DepthBlock = 512;

    /// <summary>KC of products with few rows: a B micro-panel (KC·NR floats) should sit in L1.</summary>
    public const int FewRowsDepthBlock = 256;

    /// <summary>MC of products with few rows: rows of a packed A block; a product with at most this many rows counts as few rows.</summary>
    public static int RowBlock => TFewRowsKernel.Rows * 24;

    /// <summary>Rows of A packed at once for products with many rows (3072 × KC floats, 6 MB, at MR = 12).</summary>
    public static int RowChunk => TKernel.Rows * 256;

    /// <summary>
    /// NC of products with many rows: a packed B block (KC × NC, 512 KB) should sit in L2 while
    /// the tiles stream it. 256 since the move to Zen 5, whose L2 is 1 MB a core: at 512 the block
    /// filled L2 alone. In `compare gemm` (ratio to OpenBLAS, 1 thread, two runs each; the shared-
    /// packing thresholds left at WholeBColumns): 1024³ 0.97 → 1.00–1.02, 2048³ 0.99–1.00 →
    /// 1.01, 640×512×2048 0.98–1.01 → 1.03; on 2 threads 1024³ 0.94–0.95 → 0.98–1.12, 2048³
    /// 0.97–0.98 → 1.00–1.01. On the earlier 2 MB-L2 Xeon, 256 measured 0.98–1.01 of 512.
    /// </summary>
    public const int ColumnBlock = 256;

    /// <summary>
    /// Widest N for which a thread packs a depth block's whole B̃ itself (KC × N, 1 MB; see
    /// PackedGemm.FillingTiles.cs), and below which a transposed-A product on several threads does
    /// not share its Ã chunks. Kept at the 512 it was measured at: cut to 256 with ColumnBlock,
    /// 640×2048×512 (N = 512) fell from 1.02–1.03 to 0.97–0.98 of OpenBLAS on 1 thread.
    /// </summary>
    public const int WholeBColumns = 512;

    /// <summary>NC of products with few rows (512 columns at NR = 32): the packed block and the next one's source fit in L2.</summary>
    public static int FewRowsColumnBlock => TFewRowsKernel.Columns * 16;

    // Floats of a packed Ã block (mc × kc) from which the macro-kernel prefetches the next Ã
    // micro-panel into L2 (2 MB: L2's size here; see MacroKernel).
    private const long PrefetchedPanelsFloats = 1L << 19;

    // Below this many multiply-adds (of a whole batch) the work runs on one thread: waking a second costs more.
    private const long MinimumParallelWork = 1L << 20;

    // Floats of a batch's output (16 MB, half the Zen 5's 32 MB L3) from which C is written with
    // non-temporal stores where a path can (GemmProblem.StreamsC): an output that large is not
    // found in cache by the op that reads it next, so the lines a plain store first reads into
    // cache (write-allocate) are wasted reads from memory. The 64 experts × 512 × 2048 (a 32 MB
    // output): see TransposedCWriter.WriteTransposed. A smaller output stays in L3 for its reader. The
    // threshold is reasoned from the cache size, not measured: dense tiles gained nothing from such
    // stores (they write C while computing: 4096×512×2048, 1024×256×13188 0.99–1.02 on 1 and 2
    // threads, in-process), so only the streamed paths' separate write of C takes them.
    private const long StreamedOutputFloats = 1L << 22;

    private readonly CpuParallel _parallel;
    private readonly GemmFewRowsPath _fewRowsPath;
    private readonly GemmWorkspace _packedA;
    private readonly GemmWorkspace _packedB;

    /// <param name="parallel">The threads to run on.</param>
    /// <param name="fewRowsPath">How products with few rows and a row-major B run: packed on <typeparamref name="TFewRowsKernel"/>, or on <see cref="StreamedBGemm"/>'s kernels of one vector width.</param>
    public PackedGemm(CpuParallel parallel, GemmFewRowsPath fewRowsPath)
    {
        if (fewRowsPath == GemmFewRowsPath.StreamedVector512 && !Avx512F.IsSupported)
            throw new ArgumentException("the AVX-512 streamed few-rows GEMM needs AVX-512", nameof(fewRowsPath));
        if (fewRowsPath == GemmFewRowsPath.StreamedVector256 && !(Avx2.IsSupported && Fma.IsSupported))
            throw new ArgumentException("the AVX2 streamed few-rows GEMM needs AVX2 and FMA", nameof(fewRowsPath));
        _parallel = parallel;
        _fewRowsPath = fewRowsPath;
        // The streamed path borrows the same buffers: packed Ã in the first, the transposed C block in the second.
        _packedA = new GemmWorkspace(Math.Max(Math.Max((long)RowChunk * DepthBlock, (long)RowBlock * FewRowsDepthBlock), Math.Max(StreamedBGemm.PackedAFloats(RowBlock), StreamedTransposedBGemm.PackedAFloats(RowBlock))));
        _packedB = new GemmWorkspace(Math.Max(Math.Max((long)DepthBlock * WholeBColumns, (long)FewRowsDepthBlock * FewRowsColumnBlock), StreamedBGemm.TransposedCFloats(RowBlock)));
    }

    /// <summary>
    /// Runs independent products as one job (a single GEMM is a batch of one; the grouped expert
    /// GEMMs hand over every expert's product): each product is cut into the same steps and
    /// pieces whatever else is in the batch, and the threads take them in order as they free up,
    /// so they meet once per batch instead of once per product. Results are bit-identical to
    /// running the products one by one, on any number of threads.
    /// </summary>
    public void RunBatch(ReadOnlySpan<GemmProblem> problems)
    {
        var work = new List<GemmProblem>(problems.Length);
        long multiplyAdds = 0, outputFloats = 0;
        foreach (var problem in problems)
        {
            if (problem.M == 0 || problem.N == 0) continue;
            var output = new Span<float>(problem.C, checked(problem.M * problem.N));
            if (problem.K == 0 || problem.Alpha == 0f)
            {
                if (problem.Beta == 0f) output.Clear();
                else TensorPrimitives.Multiply(output, problem.Beta, output);
                continue;
            }
            // β = 0 overwrites C on the first depth block; β ∉ {0, 1} scales C once, then accumulates.
            if (problem.Beta != 0f && problem.Beta != 1f) TensorPrimitives.Multiply(output, problem.Beta, output);
            work.Add(problem);
            multiplyAdds += (long)problem.M * problem.N * problem.K;
            outputFloats += (long)problem.M * problem.N;
        }
        if (work.Count == 0) return;
        if (outputFloats >= StreamedOutputFloats)
            for (int i = 0; i < work.Count; i++) work[i] = work[i] with { StreamsC = true };
        if (multiplyAdds >= MinimumParallelWork)
        {
            RunOnSchedule(work, multiplyAdds, _parallel.ThreadCount);
            return;
        }
        // Small work, on one thread: each product whole, in turn, each knowing the next one so
        // that its last block can prefetch the next's first.
        float* packedA = _packedA.Rent();
        float* packedB = _packedB.Rent();
        try
        {
            for (int i = 0; i < work.Count; i++)
                RunRectangle(new GemmRectangle(work[i], 0, work[i].M, 0, work[i].N), i + 1 < work.Count ? new GemmRectangle(work[i + 1], 0, work[i + 1].M, 0, work[i + 1].N) : null, packedA, packedB);
        }
        finally
        {
            _packedA.Return(packedA);
            _packedB.Return(packedB);
        }
    }

    // Part `part` of `parts` of one product: C is cut along N when N ≥ M, else along M (and along
    // M where CutsRows says so), on tile boundaries; a product with fewer tiles than parts has only Parts(…) parts.
    private static bool TryPart(GemmProblem problem, int part, int parts, GemmFewRowsPath fewRowsPath, out GemmRectangle rectangle)
    {
        var (splitColumns, tile, extent) = Cut(problem, parts, fewRowsPath);
        int tiles = (extent + tile - 1) / tile;
        int used = Math.Min(parts, tiles);
        rectangle = default;
        if (part >= used) return false;
        int firstTile = (int)((long)tiles * part / used), endTile = (int)((long)tiles * (part + 1) / used);
        int start = firstTile * tile, end = Math.Min(endTile * tile, extent);
        rectangle = splitColumns
            ? new GemmRectangle(problem, 0, problem.M, start, end - start)
            : new GemmRectangle(problem, start, end - start, 0, problem.N);
        return true;
    }

    // How many of `parts` parts TryPart makes of a product.
    private static int Parts(GemmProblem problem, int parts, GemmFewRowsPath fewRowsPath)
    {
        var (_, tile, extent) = Cut(problem, parts, fewRowsPath);
        return Math.Min(parts, (extent + tile - 1) / tile);
    }

    // The direction of TryPart's cut, the tile its boundaries fall on, and the extent cut.
    private static (bool SplitColumns, int Tile, int Extent) Cut(GemmProblem problem, int parts, GemmFewRowsPath fewRowsPath)
    {
        bool splitColumns = problem.N >= problem.M && !CutsRows(problem, parts);
        bool fewRows = FewRows(problem);
        int tile = splitColumns
            ? (fewRows ? TFewRowsKernel.Columns : TKernel.Columns)
            : (!fewRows ? TKernel.Rows : Streamed(problem, fewRowsPath) || TransposedStreamed(problem, fewRowsPath) ? StreamedBGemm.RowSplit : TFewRowsKernel.Rows);
        return (splitColumns, tile, splitColumns ? problem.N : problem.M);
    }

    // Few rows: see the top of the file. Decided per product, not per rectangle, because it sets
    // KC and so the rounding: a thread's share must be summed exactly as the whole would be.
    private static bool FewRows(GemmProblem problem) => problem.M <= RowBlock;

    // Few rows with a row-major B run on StreamedBGemm unless the path is Packed. A transposed B
    // ([N, K]: the Switch layer's forward x·Wᵀ, its weights stored [out, in]) is not streamed in
    // depth blocks: a tile then reads KC values of each of NR rows of Bᵀ and moves on, and a 64×6
    // kernel doing so measured 0.61–1.04× packed (64 experts of 64 rows, K·N = 512·2048 and
    // 2048·512, KC 64 and 256); StreamedTransposedBGemm's tiles read their rows of Bᵀ whole.
    // On AVX2 only up to StreamedVector256Rows rows (see there).
    private static bool Streamed(GemmProblem problem, GemmFewRowsPath fewRowsPath) =>
        fewRowsPath != GemmFewRowsPath.Packed && FewRows(problem) && !problem.B.Transposed
        && (fewRowsPath != GemmFewRowsPath.StreamedVector256 || problem.M <= StreamedVector256Rows);

    // Most rows a product streams B on the AVX2 kernels. Their tiles hold 16 rows at most (16 ymm
    // registers), so an expert of 64 rows reads its B in four passes, where the AVX-512 kernels
    // read it in one. Measured on the Zen 5 with AVX-512 off (DOTNET_EnableAVX512=0), 64 experts ×
    // 512 × 2048, streamed / packed GFLOP/s (1 thread, two runs; 2 threads alike): 16 rows 89 / 61,
    // 21 rows 77 / 78, 32 rows 91 / 89, 43 rows 82 / 94, 64 rows 91–93 / 105, 108 rows 88–90 / 115,
    // the uneven benchmark 86–87 / 106 (2 threads 169–171 / 204–205).
    private const int StreamedVector256Rows = 32;

    // Few rows with a transposed B: from 48 rows on AVX-512, on StreamedTransposedBGemm where it
    // Suits (K of 384–2048; cut along rows at multiples of 16, like StreamedBGemm, to keep padding
    // low); otherwise as dot products of rows read in place (DotProductGemm, on the streamed paths'
    // vector width), where DotProductGemm.Suits says they gain; otherwise on the packed path.
    private static bool TransposedStreamed(GemmProblem problem, GemmFewRowsPath fewRowsPath) =>
        fewRowsPath == GemmFewRowsPath.StreamedVector512 && FewRows(problem) && StreamedTransposedBGemm.Suits(problem);

    private static bool DotProducts(GemmProblem problem, GemmFewRowsPath fewRowsPath) =>
        fewRowsPath != GemmFewRowsPath.Packed && FewRows(problem) && DotProductGemm.Suits(problem);

    // The loops over one rectangle on the calling thread, with its packing buffers.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void RunRectangle(GemmRectangle rectangle, GemmRectangle? next, float* packedA, float* packedB)
    {
        if (!FewRows(rectangle.Problem)) RunManyRows(rectangle, packedA, packedB);
        else if (TransposedStreamed(rectangle.Problem, _fewRowsPath)) StreamedTransposedBGemm.Run(rectangle, next, packedA, packedB);
        else if (DotProducts(rectangle.Problem, _fewRowsPath))
        {
            if (_fewRowsPath == GemmFewRowsPath.StreamedVector512) DotProductGemm.Run<DotProductKernel512>(rectangle, next);
            else DotProductGemm.Run<DotProductKernel256>(rectangle, next);
        }
        else if (!Streamed(rectangle.Problem, _fewRowsPath)) RunFewRows(rectangle, next, packedA, packedB);
        else if (_fewRowsPath == GemmFewRowsPath.StreamedVector512) StreamedBGemm.Run<StreamedBVector512>(rectangle, packedA, packedB);
        else StreamedBGemm.Run<StreamedBVector256>(rectangle, packedA, packedB);
    }

    // Many rows: A is packed once (RowChunk rows × KC at a time) and reused by every column
    // block, because packing op(A) costs most when it is a strided transpose (Xᵀ·dY); B̃ blocks
    // of 512 × 256 are packed in turn (by their first row of tiles where it can: see
    // PackedGemm.FillingTiles.cs) and the tiles run along rows of tiles. Where the tiles can
    // copy Ã (CopiesAInTiles), only its first two panels and a ragged last one are packed
    // first: the first column block's rows of tiles copy the rest (GemmPanelCopy.cs).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RunManyRows(GemmRectangle rectangle, float* packedA, float* packedB)
    {
        var problem = rectangle.Problem;
        int columnEnd = rectangle.ColumnStart + rectangle.ColumnCount, rowEnd = rectangle.RowStart + rectangle.RowCount;
        bool copiesA = CopiesAInTiles(problem);
        for (int ic = rectangle.RowStart; ic < rowEnd; ic += RowChunk)
        {
            int mc = Math.Min(RowChunk, rowEnd - ic);
            for (int pc = 0; pc < problem.K; pc += DepthBlock)
            {
                int kc = Math.Min(DepthBlock, problem.K - pc);
                bool accumulate = pc > 0 || problem.Beta != 0f;
                // The first row of tiles packs B̃ and copies nothing, so it needs its own panel and the next one.
                PackAHead(problem, ic, mc, pc, kc, copiesA ? 2 * TKernel.Rows : mc, packedA);
                for (int jc = rectangle.ColumnStart; jc < columnEnd; jc += ColumnBlock)
                {
                    int nc = Math.Min(ColumnBlock, columnEnd - jc);
                    MacroKernelPackingB(problem, packedA, packedB, ic, mc, pc, kc, jc, nc, accumulate, copiesA: copiesA && jc == rectangle.ColumnStart);
                }
            }
        }
    }

    // Few rows: the classic five loops, the tiles down each column of tiles, and the next B
    // block's source prefetched while the current block is in use.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RunFewRows(GemmRectangle rectangle, GemmRectangle? next, float* packedA, float* packedB)
    {
        var problem = rectangle.Problem;
        int columnEnd = rectangle.ColumnStart + rectangle.ColumnCount, rowEnd = rectangle.RowStart + rectangle.RowCount;
        int rowTiles = (rectangle.RowCount + TFewRowsKernel.Rows - 1) / TFewRowsKernel.Rows;
        for (int jc = rectangle.ColumnStart; jc < columnEnd; jc += FewRowsColumnBlock)
        {
            int nc = Math.Min(FewRowsColumnBlock, columnEnd - jc);
            int panelCount = (nc + TFewRowsKernel.Columns - 1) / TFewRowsKernel.Columns;
            for (int pc = 0; pc < problem.K; pc += FewRowsDepthBlock)
            {
                int kc = Math.Min(FewRowsDepthBlock, problem.K - pc);
                bool accumulate = pc > 0 || problem.Beta != 0f;
                GemmPacking.PackB(problem.B, pc, kc, jc, nc, TFewRowsKernel.Columns, 0, panelCount, packedB);
                var prefetcher = NextBlockPrefetcher(rectangle, jc, pc, next, rowTiles * panelCount, kc);
                for (int ic = rectangle.RowStart; ic < rowEnd; ic += RowBlock)
                {
                    int mc = Math.Min(RowBlock, rowEnd - ic);
                    GemmPacking.PackA(problem.A, ic, mc, pc, kc, problem.Alpha, TFewRowsKernel.Rows, packedA);
                    MacroKernel<TFewRowsKernel>(packedA, packedB, problem.C + (long)ic * problem.N + jc, problem.N, mc, nc, kc, accumulate, alongRows: false, ref prefetcher);
                }
            }
        }
    }

    // The source of the B block packed after block (jc, pc) of a few-rows product: the next
    // depth block, else the next column block, else the first block of the next rectangle.
    private static GemmSourcePrefetcher NextBlockPrefetcher(GemmRectangle rectangle, int jc, int pc, GemmRectangle? next, int calls, int kernelDepth)
    {
        var problem = rectangle.Problem;
        int columnEnd = rectangle.ColumnStart + rectangle.ColumnCount;
        int columnBlock = FewRowsColumnBlock, depthBlock = FewRowsDepthBlock;
        if (pc + depthBlock < problem.K)
            return GemmSourcePrefetcher.ForB(problem.B, pc + depthBlock, Math.Min(depthBlock, problem.K - pc - depthBlock), jc, Math.Min(columnBlock, columnEnd - jc), calls, kernelDepth);
        if (jc + columnBlock < columnEnd)
            return GemmSourcePrefetcher.ForB(problem.B, 0, Math.Min(depthBlock, problem.K), jc + columnBlock, Math.Min(columnBlock, columnEnd - jc - columnBlock), calls, kernelDepth);
        if (next is { } following)
        {
            // The next rectangle's first block: a many-rows product packs A first, then B̃ from its first column block.
            var (depth, columns) = FewRows(following.Problem) ? (FewRowsDepthBlock, FewRowsColumnBlock) : (DepthBlock, ColumnBlock);
            return GemmSourcePrefetcher.ForB(following.Problem.B, 0, Math.Min(depth, following.Problem.K), following.ColumnStart, Math.Min(columns, following.ColumnCount), calls, kernelDepth);
        }
        return GemmSourcePrefetcher.None;
    }

    // Runs the micro-kernel over every MR × NR tile of an mc × nc block of C: along each row of
    // tiles (alongRows: the A micro-panel stays in L1, B micro-panels stream from L2) or down
    // each column (the B micro-panel stays in L1, A micro-panels stream from L2).
    // C is the one operand that is not packed: a tile's rows lie ldc floats apart, on as many
    // pages, so the hardware prefetchers do not follow them, and without help the tile's loads
    // and stores at the end of each micro-kernel miss to L2/L3 every time (at 2048³ that cost a
    // fifth of the time). So while one tile is computed, the next tile's lines are prefetched:
    // the micro-kernel runs for thousands of cycles, long enough for them to arrive.
    // Along rows, when the packed Ã block is larger than L2 (PrefetchedPanelsFloats), each row of
    // tiles also requests the next row's Ã micro-panel into L2, a share of its lines per tile
    // (through the tiles' source prefetch, one line every few depth steps): otherwise that panel
    // comes from L3 as the next row's first tile reads it. On 1 thread, bit-identical, old time /
    // new, five runs of 25 rounds in rotating order: 2048³ (a 4 MB Ã block) 1.02–1.04, 1024³
    // (2 MB) 0.99–1.02; with 1–1.3 MB blocks (640 rows; Xᵀ·dY's 512) 0.97–1.02, so those don't.
    // `prefetcher` hands the tiles their source lines: the next B block's, carried across the
    // calls of a few-rows block; along rows the callers have none to give, and the macro-kernel
    // fills it with the next Ã micro-panel's lines as above.
    // sourceA (along rows, TallMicroKernel512 only; null otherwise): A's row-major rows of the
    // block (row 0 of it at the block's first depth step, lda floats apart), from which each row
    // of tiles copies the next row's Ã micro-panel when that panel is whole (see GemmPanelCopy.cs;
    // the caller has packed the first panel and any ragged last one).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MacroKernel<TTile>(float* packedA, float* packedB, float* c, int ldc, int mc, int nc, int kc, bool accumulate, bool alongRows, ref GemmSourcePrefetcher prefetcher, float* sourceA = null, long lda = 0)
        where TTile : IGemmMicroKernel
    {
        int rowTiles = (mc + TTile.Rows - 1) / TTile.Rows, columnTiles = (nc + TTile.Columns - 1) / TTile.Columns;
        int tiles = rowTiles * columnTiles;
        bool prefetchPanels = alongRows && (long)mc * kc >= PrefetchedPanelsFloats;
        bool copiesPanels = typeof(TTile) == typeof(TallMicroKernel512) && alongRows && sourceA != null;
        var copy = GemmPanelCopy.None;
        var (row, column) = TileAt<TTile>(0, alongRows, rowTiles, columnTiles);
        PrefetchTile<TTile>(c, ldc, mc, nc, row, column);
        for (int tile = 0; tile < tiles; tile++)
        {
            var (nextRow, nextColumn) = (row, column);
            if (tile + 1 < tiles)
            {
                (nextRow, nextColumn) = TileAt<TTile>(tile + 1, alongRows, rowTiles, columnTiles);
                PrefetchTile<TTile>(c, ldc, mc, nc, nextRow, nextColumn);
            }
            if (copiesPanels && column == 0)
                copy = row + 2 * TTile.Rows <= mc ? new GemmPanelCopy(sourceA + (row + TTile.Rows) * lda, lda, packedA + (long)(row + TTile.Rows) * kc, kc) : GemmPanelCopy.None;
            else if (prefetchPanels && column == 0)
                prefetcher = row + TTile.Rows < mc ? GemmSourcePrefetcher.ForContiguous(packedA + (long)(row + TTile.Rows) * kc, Math.Min(TTile.Rows, mc - row - TTile.Rows) * kc, columnTiles, kc) : GemmSourcePrefetcher.None;
            int mr = Math.Min(TTile.Rows, mc - row), nr = Math.Min(TTile.Columns, nc - column);
            float* target = c + (long)row * ldc + column;
            float* panelA = packedA + (long)row * kc, panelB = packedB + (long)column * kc;
            if (mr == TTile.Rows && nr == TTile.Columns)
            {
                if (copy.Steps > 0) TallMicroKernel512.RunCopying(kc, panelA, panelB, target, ldc, accumulate, ref copy);
                else TTile.Run(kc, panelA, panelB, target, ldc, accumulate, prefetcher.Next());
            }
            else EdgeTile<TTile>(kc, panelA, panelB, target, ldc, mr, nr, accumulate, prefetcher.Next());
            // The row's last tile: what its tiles left of the next panel is copied now.
            if (copy.Steps > 0 && nextRow != row) copy.Finish();
            (row, column) = (nextRow, nextColumn);
        }
        if (copy.Steps > 0) copy.Finish();
    }

    // First row and column of C of tile number `tile` in the macro-kernel's order.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (int Row, int Column) TileAt<TTile>(int tile, bool alongRows, int rowTiles, int columnTiles) where TTile : IGemmMicroKernel =>
        alongRows
            ? (tile / columnTiles * TTile.Rows, tile % columnTiles * TTile.Columns)
            : (tile % rowTiles * TTile.Rows, tile / rowTiles * TTile.Columns);

    // Asks for every cache line of the tile of the mc × nc block c whose first element is
    // (row, column) (a hint: prefetches never fault).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrefetchTile<TTile>(float* c, int ldc, int mc, int nc, int row, int column) where TTile : IGemmMicroKernel
    {
        if (!Sse.IsSupported) return;
        int rows = Math.Min(TTile.Rows, mc - row), columns = Math.Min(TTile.Columns, nc - column);
        for (int i = 0; i < rows; i++)
        {
            float* line = c + (long)(row + i) * ldc + column;
            for (int j = 0; j < columns; j += GemmSourcePrefetch.FloatsPerLine) Sse.Prefetch0(line + j);
        }
    }

    // A ragged tile runs the same full kernel into a scratch tile (the padding is zeros), then
    // only the valid mr × nr part reaches C: same arithmetic, so edges round like the interior.
    // The 12×32 tile's last row panel, when at most 8 rows are left across a whole 32 columns,
    // runs only its first 4 or 8 rows instead (TallMicroKernel512.RunRows): the same sums, a third
    // or two thirds of the FMAs.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void EdgeTile<TTile>(int kc, float* panelA, float* panelB, float* c, int ldc, int mr, int nr, bool accumulate, GemmSourcePrefetch prefetch) where TTile : IGemmMicroKernel
    {
        if (typeof(TTile) == typeof(TallMicroKernel512) && mr <= TallMicroKernel512.MaximumShortRows && nr == TTile.Columns)
        {
            TallMicroKernel512.RunRows(kc, panelA, panelB, c, ldc, mr, accumulate, prefetch);
            return;
        }
        float* scratch = stackalloc float[TTile.Rows * TTile.Columns];
        TTile.Run(kc, panelA, panelB, scratch, TTile.Columns, accumulate: false, prefetch);
        AddEdge(scratch, TTile.Columns, c, ldc, mr, nr, accumulate);
    }

    // The valid mr × nr part of a scratch tile (rows scratchStride apart) into C, added or stored.
    private static void AddEdge(float* scratch, int scratchStride, float* c, int ldc, int mr, int nr, bool accumulate)
    {
        for (int i = 0; i < mr; i++)
            for (int j = 0; j < nr; j++)
                c[(long)i * ldc + j] = accumulate ? c[(long)i * ldc + j] + scratch[i * scratchStride + j] : scratch[i * scratchStride + j];
    }

    public void Dispose()
    {
        _packedA.Dispose();
        _packedB.Dispose();
    }
}
