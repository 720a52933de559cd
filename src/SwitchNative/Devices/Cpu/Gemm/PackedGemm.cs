// The BLIS-style GEMM driver: C = α·op(A)·op(B) + β·C.
//
// C is cut into one rectangle per thread (along N when N ≥ M, else along M, on tile
// boundaries); each thread then runs the classic five loops on its rectangle with its own
// packing buffers, so threads never wait on each other:
//
//   for jc in N by NC:                 pack op(B)[pc.., jc..] (KC × NC, L3)
//     for pc in K by KC:
//       for ic in M by MC:             pack op(A)[ic.., pc..] (MC × KC, L2)
//         for jr in NC by NR:          B micro-panel KC × NR stays in L1
//           for ir in MC by MR:        micro-kernel on an MR × NR tile of C
//
// A rectangle of at most MC rows (an expert's few tokens) uses a narrower NC and prefetches
// the next B block's source from inside the micro-kernel (GemmSourcePrefetch): there, reading
// B from memory costs about as much as the multiply. The next tile of C is always prefetched.
//
// Every C element is summed in the same order whatever the partition: the KC blocks run in
// sequence and each tile is computed by the same kernel, so results do not depend on the
// thread count.
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace SwitchNative.Devices.Cpu.Gemm;

/// <summary>Blocked, packed, multithreaded GEMM over one micro-kernel.</summary>
internal sealed unsafe class PackedGemm<TKernel> : IDisposable where TKernel : IGemmMicroKernel
{
    /// <summary>KC: depth of a packed block; a B micro-panel (KC·NR floats) should sit in L1.</summary>
    public const int DepthBlock = 256;

    /// <summary>MC: rows of a packed A block; MC·KC floats should sit in L2.</summary>
    public static int RowBlock => TKernel.Rows * 24;

    /// <summary>NC: columns of a packed B block.</summary>
    public static int ColumnBlock => TKernel.Columns * 128;

    /// <summary>NC for rectangles of at most one row block (see ReadsBound): 512 columns at NR = 32.</summary>
    public static int ReadsBoundColumnBlock => TKernel.Columns * 16;

    // Below this many multiply-adds (of a whole batch) the work runs on one thread: waking a second costs more.
    private const long MinimumParallelWork = 1L << 20;

    private readonly CpuParallel _parallel;
    private readonly GemmWorkspace _packedA;
    private readonly GemmWorkspace _packedB;

    public PackedGemm(CpuParallel parallel)
    {
        _parallel = parallel;
        _packedA = new GemmWorkspace((long)RowBlock * DepthBlock);
        _packedB = new GemmWorkspace((long)DepthBlock * ColumnBlock);
    }

    /// <summary>
    /// Runs independent products as one job (a single GEMM is a batch of one; the grouped expert
    /// GEMMs hand over every expert's product): each product is cut into per-thread rectangles
    /// the same way whatever else is in the batch, and each thread
    /// works through its rectangle of every product in turn, so the threads meet once per
    /// batch instead of once per product. Results are bit-identical to running them one by one.
    /// </summary>
    public void RunBatch(ReadOnlySpan<GemmProblem> problems)
    {
        var work = new List<GemmProblem>(problems.Length);
        long multiplyAdds = 0;
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
        }
        if (work.Count == 0) return;
        int parts = multiplyAdds < MinimumParallelWork ? 1 : _parallel.ThreadCount;
        _parallel.For(parts, part =>
        {
            // Each rectangle runs knowing the next one, so its last block can prefetch the next's first.
            GemmRectangle? pending = null;
            foreach (var problem in work)
            {
                if (!TryPart(problem, part, parts, out var rectangle)) continue;
                if (pending is { } previous) RunRectangle(previous, rectangle);
                pending = rectangle;
            }
            if (pending is { } last) RunRectangle(last, null);
        });
    }

    // Part `part` of `parts` of one product: C is cut along N when N ≥ M, else along M, on tile
    // boundaries; a product with fewer tiles than parts leaves the last parts without work.
    private static bool TryPart(GemmProblem problem, int part, int parts, out GemmRectangle rectangle)
    {
        bool splitColumns = problem.N >= problem.M;
        int tile = splitColumns ? TKernel.Columns : TKernel.Rows;
        int extent = splitColumns ? problem.N : problem.M;
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

    // A rectangle with at most one row block (an expert's few tokens) multiplies each B block
    // against those rows only, so reading B dominates: its blocks are narrower (the packed block
    // and the prefetched source of the next one both fit in L2) and the next block's source is
    // prefetched while the current one is used. Larger rectangles reuse each packed B block over
    // many row blocks and keep the wide block without prefetch (which measured no gain there).
    private static bool ReadsBound(GemmRectangle rectangle) => rectangle.RowCount <= RowBlock;

    private static int ColumnBlockOf(GemmRectangle rectangle) => ReadsBound(rectangle) ? ReadsBoundColumnBlock : ColumnBlock;

    // The five loops over one rectangle on the calling thread.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void RunRectangle(GemmRectangle rectangle, GemmRectangle? next)
    {
        var problem = rectangle.Problem;
        float* packedA = _packedA.Rent();
        float* packedB = _packedB.Rent();
        try
        {
            int columnBlock = ColumnBlockOf(rectangle);
            int columnEnd = rectangle.ColumnStart + rectangle.ColumnCount, rowEnd = rectangle.RowStart + rectangle.RowCount;
            int rowTiles = (rectangle.RowCount + TKernel.Rows - 1) / TKernel.Rows;
            for (int jc = rectangle.ColumnStart; jc < columnEnd; jc += columnBlock)
            {
                int nc = Math.Min(columnBlock, columnEnd - jc);
                int panelCount = (nc + TKernel.Columns - 1) / TKernel.Columns;
                for (int pc = 0; pc < problem.K; pc += DepthBlock)
                {
                    int kc = Math.Min(DepthBlock, problem.K - pc);
                    bool accumulate = pc > 0 || problem.Beta != 0f;
                    GemmPacking.PackB(problem.B, pc, kc, jc, nc, TKernel.Columns, 0, panelCount, packedB);
                    var prefetcher = ReadsBound(rectangle) ? NextBlockPrefetcher(rectangle, columnBlock, jc, pc, next, rowTiles * panelCount, kc) : GemmSourcePrefetcher.None;
                    for (int ic = rectangle.RowStart; ic < rowEnd; ic += RowBlock)
                    {
                        int mc = Math.Min(RowBlock, rowEnd - ic);
                        GemmPacking.PackA(problem.A, ic, mc, pc, kc, problem.Alpha, TKernel.Rows, packedA);
                        MacroKernel(packedA, packedB, problem.C + (long)ic * problem.N + jc, problem.N, mc, nc, kc, accumulate, ref prefetcher);
                    }
                }
            }
        }
        finally
        {
            _packedA.Return(packedA);
            _packedB.Return(packedB);
        }
    }

    // The source of the B block packed after block (jc, pc): the next depth block, else the next
    // column block, else the first block of the next rectangle.
    private static GemmSourcePrefetcher NextBlockPrefetcher(GemmRectangle rectangle, int columnBlock, int jc, int pc, GemmRectangle? next, int calls, int kernelDepth)
    {
        var problem = rectangle.Problem;
        int columnEnd = rectangle.ColumnStart + rectangle.ColumnCount;
        if (pc + DepthBlock < problem.K)
            return GemmSourcePrefetcher.ForB(problem.B, pc + DepthBlock, Math.Min(DepthBlock, problem.K - pc - DepthBlock), jc, Math.Min(columnBlock, columnEnd - jc), calls, kernelDepth);
        if (jc + columnBlock < columnEnd)
            return GemmSourcePrefetcher.ForB(problem.B, 0, Math.Min(DepthBlock, problem.K), jc + columnBlock, Math.Min(columnBlock, columnEnd - jc - columnBlock), calls, kernelDepth);
        if (next is { } following)
            return GemmSourcePrefetcher.ForB(following.Problem.B, 0, Math.Min(DepthBlock, following.Problem.K), following.ColumnStart, Math.Min(ColumnBlockOf(following), following.ColumnCount), calls, kernelDepth);
        return GemmSourcePrefetcher.None;
    }

    // Runs the micro-kernel over every MR × NR tile of an mc × nc block of C, down each column
    // of tiles (the B micro-panel stays in L1 while A's micro-panels stream from L2).
    // C is the one operand that is not packed: a tile's 8 rows lie ldc floats apart, on as many
    // pages, so the hardware prefetchers never see a stream, and without help the tile's loads
    // and stores at the end of each micro-kernel miss to L2/L3 every time (at 2048³ that cost a
    // fifth of the time). So while one tile is computed, the next tile's lines are prefetched:
    // the micro-kernel runs for thousands of cycles, long enough for them to arrive.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MacroKernel(float* packedA, float* packedB, float* c, int ldc, int mc, int nc, int kc, bool accumulate, ref GemmSourcePrefetcher prefetcher)
    {
        PrefetchTile(c, ldc, Math.Min(TKernel.Rows, mc), Math.Min(TKernel.Columns, nc));
        for (int column = 0; column < nc; column += TKernel.Columns)
        {
            int nr = Math.Min(TKernel.Columns, nc - column);
            float* panelB = packedB + (long)column * kc;
            for (int ir = 0; ir < mc; ir += TKernel.Rows)
            {
                int mr = Math.Min(TKernel.Rows, mc - ir);
                float* tile = c + (long)ir * ldc + column;
                float* panelA = packedA + (long)ir * kc;
                int nextRow = ir + TKernel.Rows, nextColumn = column;
                if (nextRow >= mc) (nextRow, nextColumn) = (0, column + TKernel.Columns);
                if (nextColumn < nc) PrefetchTile(c + (long)nextRow * ldc + nextColumn, ldc, Math.Min(TKernel.Rows, mc - nextRow), Math.Min(TKernel.Columns, nc - nextColumn));
                if (mr == TKernel.Rows && nr == TKernel.Columns) TKernel.Run(kc, panelA, panelB, tile, ldc, accumulate, prefetcher.Next());
                else EdgeTile(kc, panelA, panelB, tile, ldc, mr, nr, accumulate, prefetcher.Next());
            }
        }
    }

    // Asks for every cache line of a rows × columns tile of C (a hint: prefetches never fault).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrefetchTile(float* tile, int ldc, int rows, int columns)
    {
        if (!Sse.IsSupported) return;
        for (int row = 0; row < rows; row++)
        {
            float* line = tile + (long)row * ldc;
            for (int column = 0; column < columns; column += GemmSourcePrefetch.FloatsPerLine) Sse.Prefetch0(line + column);
        }
    }

    // A ragged tile runs the same full kernel into a scratch tile (the padding is zeros), then
    // only the valid mr × nr part reaches C: same arithmetic, so edges round like the interior.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void EdgeTile(int kc, float* panelA, float* panelB, float* c, int ldc, int mr, int nr, bool accumulate, GemmSourcePrefetch prefetch)
    {
        float* scratch = stackalloc float[TKernel.Rows * TKernel.Columns];
        TKernel.Run(kc, panelA, panelB, scratch, TKernel.Columns, accumulate: false, prefetch);
        for (int i = 0; i < mr; i++)
            for (int j = 0; j < nr; j++)
                c[(long)i * ldc + j] = accumulate ? c[(long)i * ldc + j] + scratch[i * TKernel.Columns + j] : scratch[i * TKernel.Columns + j];
    }

    public void Dispose()
    {
        _packedA.Dispose();
        _packedB.Dispose();
    }
}
