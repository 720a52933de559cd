// Products with few rows and a transposed B on AVX-512, from 48 rows: C = A·Bᵀ with A [M, K] and
// Bᵀ [N, K] both row-major, the Switch layer's forward x·Wᵀ on an expert's tokens (its weights are
// stored [out, in]). Rows of Bᵀ are read in place, each as one sequential stream, and each value
// is broadcast into V vectors of rows (StreamedTransposedBKernel): C's tile is held transposed
// and summed over the whole of K in registers, so Ã (the expert's rows, packed for all of K: at
// most 64 × 2048 floats a group, 512 KB) is the operand that comes from L2, and Bᵀ is read from
// memory once. The finished Cᵀ block is transposed into C as on the streamed path for a row-major
// B (StreamedBGemm).
//
//   for jc in the rectangle's columns by 2048:               (a Cᵀ block: 2048 × rows)
//     for each chunk of 48 columns (48 rows of Bᵀ, 48·K contiguous floats):
//       for each 6 columns (6 rows of Bᵀ):
//         for each row group (64, 48 or 32 rows, padded): one tile, the whole of K, into the Cᵀ
//           block; meanwhile it requests a share of the next chunk's rows of Bᵀ into L2
//         the product's last few rows (DotRows: up to 40 past a multiple of 64, else up to 8
//           past a multiple of 16): 4×6 dot-product tiles on the same 6 rows of Bᵀ, now in L1,
//           straight into C
//     transpose the Cᵀ block into C
//
// Why not DotProductGemm for all of it (it runs the products of up to 47 rows, and every product
// off AVX-512): its 4 × 6 tile reads a vector of each of 4 rows of A and 6 rows of Bᵀ per step
// just as here, but must add up the 16 lanes of each of its 24 accumulators at the end (46
// shuffles and 23 adds a tile, on the FMA ports): in L1 it reaches 124–127 GFLOP/s at K = 512,
// where the 64×6 tile here reaches the FMA peak (173 GFLOP/s with Bᵀ in L2, 150 from L3, 142 from
// memory: reading Bᵀ is where memory shows; requesting the next chunk one tile ahead or up to four
// made no difference).
// In-process against DotProductGemm (old time / new, medians of 15 alternating rounds, 1 thread,
// the weights from memory): 64 experts × 512 × 2048 with the benchmark's uneven sizes (21, 43, 65,
// 86, 108 rows) 1.03–1.11 (four runs); 64 rows each 1.11, 65 rows 1.08, 43 (padded to 48) 1.03, 86
// 1.07, 108 1.04; 64 experts × 2048 × 512 uneven 1.16; the training model's 8 experts × 512 × 256:
// 128 rows 1.02, 150 rows 1.01, 100 rows 1.01–1.03, 90 rows 1.00–1.01 (with up to 24 dot-product
// rows, which padded their 36 and 26 last rows: 0.92–0.93 and 0.93–0.96). `compare gemm`'s grouped
// E = 64 A·Bᵀ: 84–92 % of one 4096-row product on 1 and 2 threads in six runs, 88–92 % in the
// three in calmer phases of the machine (79–84 % before).
// Choices measured on the way (old time / new as above): the last rows padded into a group instead
// of dot-product tiles, uneven 0.99–1.02 (an expert of 65 rows then runs 80); dot-product tiles for
// them after each chunk's groups rather than per 6 columns (Bᵀ then from L2), 43 rows 0.81, 86 rows
// 0.96 of padding; up to 40 dot-product rows past 64 rather than 24: 64 experts of 100 rows × 512 ×
// 2048 1.05–1.08 against 0.95–0.96, 90 rows alike, while 44–46 last rows measured either way
// (1.04–1.14 on dot-product tiles, 1.07–1.14 padded to 48). Below 64 rows, and past 40, the rows
// past the last 16 (measured from 33 rows, with the 32-row tile) go to dot-product tiles when they
// are at most 8, against padding them (same rounds, both rules in one process): 33 rows 1.13, 36
// 1.14, 38 1.03, 39 1.03, 50 1.16, 53 1.08, 56 1.08; 41 rows 0.95, 43 0.94–0.95, 59 0.96, so 9–15
// are padded. Rows past the last 16 always on dot-product tiles (86 = 80 + 6, 108 = 96 + 12,
// instead of 64 + 22 and 112 padded): uneven 0.97, 86 rows 0.97, 108 0.98. Fewer than 48 rows stay
// on DotProductGemm, against which nothing here gained: 21, 25 and 28 rows padded to 32 ran 0.88,
// 0.86 and 0.85 of it, 32 rows 1.01, 33 rows (32 + 1 on dot-product tiles) 0.93, 43 rows padded to
// 48 1.01–1.03; 48 rows 1.16, 56 (48 + 8) 1.12. A first version's 48×8 and 32×12 tiles were dropped
// for 6-wide ones: 8 or 12 row pointers do not all fit in the general registers, and a 6-wide tile
// shares its rows of Bᵀ with the dot-product tile.
// Measured but not kept, with a row-major B (the other grouped form, StreamedBGemm): these tiles
// over all of K reading B in place by column blocks of 258 or 2046 (the next block requested by the
// tiles), 0.33–0.48× StreamedBGemm (a tile then walks 512 rows of B, 8 KB apart); copying each
// 48-column strip of B (512 rows, 3 lines each, 8 KB apart) into a dense buffer and running these
// tiles on it, 0.72–0.76× StreamedBGemm; even without the copy, requesting the next strip's 1 536
// lines (8 KB apart) cost 14 %. A row-major B has to be read along its rows.
//
// Each element of C is one chain of FMAs in order of p over all of K (α is folded into Ã), the
// same in every tile and every row group, or, for the product's last rows, one dot-product tile's
// sum (the same wherever the tile lies: see DotProductKernel512); which rows are which is fixed
// per product (DotRows), so a product cut among threads gives the same bits. It rounds
// differently from DotProductGemm alone, so the choice between them is made per product (Suits).
using System.Runtime.CompilerServices;

namespace SwitchNative.Devices.Cpu.Gemm;

/// <summary>The few-rows GEMM with a transposed B read in place and C's tile held transposed (AVX-512).</summary>
internal static unsafe class StreamedTransposedBGemm
{
    /// <summary>Fewest rows a product may have here (fewer run as dot products; see the top of the file).</summary>
    public const int MinimumRows = 48;

    /// <summary>Columns of every tile: the dot-product tile's, so the two can share rows of Bᵀ in L1.</summary>
    public const int TileColumns = StreamedTransposedBKernel.Columns;

    // Depths this path takes: from where DotProductGemm takes any number of rows, to where one row
    // group's Ã (64 × K floats) still fits in L2 with room.
    private const int MinimumDepth = 384;
    private const int MaximumDepth = 2048;

    // Rows are padded to whole vectors and grouped by at most 64; columns are taken 48 at a time.
    private const int RowUnit = 16;
    private const int LargestGroup = 64;
    private const int ChunkColumns = 48;

    // Most rows past the last 64 that run on dot-product tiles instead of a padded group; where
    // more are left, at most this many past the last 16 do.
    private const int MaximumDotRows = 40;
    private const int MaximumDotRowsPastVector = 8;

    /// <summary>Floats of packed Ã a rectangle of <paramref name="rows"/> rows needs at the deepest K taken.</summary>
    public static long PackedAFloats(int rows) => (long)PaddedRows(rows) * MaximumDepth;

    /// <summary>
    /// Whether a few-rows product runs here: a row-major A, a transposed B, at least
    /// <see cref="MinimumRows"/> rows and a K of 384–2048. Decided per product, so a product is
    /// summed the same way on any number of threads.
    /// </summary>
    public static bool Suits(GemmProblem problem) =>
        !problem.A.Transposed && problem.B.Transposed && problem.M >= MinimumRows
        && problem.K >= MinimumDepth && problem.K <= MaximumDepth;

    /// <summary>
    /// The product's last rows that run on dot-product tiles (none unless K is whole dot-product
    /// steps): M mod 64 when M ≥ 64 leaves at most 40; else M mod 16 when that is at most 8; else
    /// none (the rows are padded to whole vectors). Per product, so that every element rounds the
    /// same way however the product is cut.
    /// </summary>
    public static int DotRows(GemmProblem problem)
    {
        if (problem.K % DotProductKernel512.StepDepth != 0) return 0;
        if (problem.M >= LargestGroup && problem.M % LargestGroup <= MaximumDotRows) return problem.M % LargestGroup;
        return problem.M % RowUnit <= MaximumDotRowsPastVector ? problem.M % RowUnit : 0;
    }

    // Rows padded to whole vectors, at least the 32-row tile's.
    private static int PaddedRows(int rows) => Math.Max(2 * RowUnit, (rows + RowUnit - 1) / RowUnit * RowUnit);

    // Rows of the next group when `left` padded rows remain (a multiple of 16, never 16 itself:
    // PaddedRows gives at least 32, and 80 splits as 48 + 32): 64 at a time, except that 80 goes
    // as 48 + 32 (not 64 + a 32-row tile holding 16).
    private static int GroupRows(int left) => left == 80 ? 48 : Math.Min(LargestGroup, left);

    /// <summary>Computes one rectangle of a product that <see cref="Suits"/>: C (+)= α·A·Bᵀ over its rows and columns.</summary>
    /// <param name="rectangle">The rows and columns of C to compute.</param>
    /// <param name="next">The rectangle this thread will likely take next, whose first rows of Bᵀ the last chunk's tiles request.</param>
    /// <param name="packedA">At least <see cref="PackedAFloats"/> floats for the rectangle's rows.</param>
    /// <param name="transposedC">At least <see cref="StreamedBGemm.TransposedCFloats"/> floats for the rectangle's rows.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(GemmRectangle rectangle, GemmRectangle? next, float* packedA, float* transposedC)
    {
        var problem = rectangle.Problem;
        if (!Suits(problem)) throw new ArgumentException($"the streamed-Bᵀ GEMM reads a row-major A and a transposed B, from {MinimumRows} rows and a K of 384–2048", nameof(rectangle));
        int depth = problem.K, rowEnd = rectangle.RowStart + rectangle.RowCount;
        // The rectangle's rows before the product's dot-product rows run in padded row groups.
        int dotStart = Math.Clamp(problem.M - DotRows(problem), rectangle.RowStart, rowEnd);
        int rows = dotStart - rectangle.RowStart, padded = rows > 0 ? PaddedRows(rows) : 0;
        int groups = 0;
        for (int group = 0; group < padded; group += GroupRows(padded - group), groups++)
            GemmPacking.PackA(problem.A, rectangle.RowStart + group, Math.Min(GroupRows(padded - group), rows - group), 0, depth, problem.Alpha, GroupRows(padded - group), packedA + (long)group * depth);
        int tilesPerChunk = groups * (ChunkColumns / TileColumns);
        int columnEnd = rectangle.ColumnStart + rectangle.ColumnCount;
        for (int jc = rectangle.ColumnStart; jc < columnEnd; jc += StreamedBGemm.ColumnBlock)
        {
            int nc = Math.Min(StreamedBGemm.ColumnBlock, columnEnd - jc);
            for (int chunk = 0; chunk < nc; chunk += ChunkColumns)
            {
                int width = Math.Min(ChunkColumns, nc - chunk);
                float* prefetch = null;
                long lines = tilesPerChunk > 0 ? NextChunk(rectangle, jc + chunk + width, next, out prefetch) : 0;
                // Each tile requests its share of the next chunk's lines, prefetchStep floats on per depth step.
                long share = lines == 0 ? 0 : (lines * LineFloats + tilesPerChunk - 1) / tilesPerChunk;
                long prefetchStep = (share + depth - 1) / depth;
                int tile = 0;
                for (int column = chunk; column < chunk + width; column += TileColumns)
                {
                    int columns = Math.Min(TileColumns, chunk + width - column);
                    float* bt = problem.B.Data + (long)(jc + column) * depth;
                    for (int group = 0; group < padded; group += GroupRows(padded - group), tile++)
                    {
                        int groupRows = GroupRows(padded - group);
                        float* block = transposedC + (long)group * nc + (long)column * groupRows;
                        RunTile(groupRows, depth, packedA + (long)group * depth, bt, columns, prefetch + tile * share, prefetchStep, block);
                    }
                    // The dot-product rows, on the same 6 rows of Bᵀ while they are in L1.
                    for (int row = dotStart; row < rowEnd; row += DotProductKernel512.Rows)
                        DotProductKernel512.Run(depth, problem.A.Data + (long)row * depth, depth, Math.Min(DotProductKernel512.Rows, rowEnd - row), bt, depth, columns,
                            problem.Alpha, problem.Beta != 0f, problem.C + (long)row * problem.N + jc + column, problem.N, null, 0);
                }
            }
            for (int group = 0; group < padded; group += GroupRows(padded - group))
            {
                int groupRows = GroupRows(padded - group);
                float* target = problem.C + (long)(rectangle.RowStart + group) * problem.N + jc;
                TransposedCWriter.WriteTransposed(transposedC + (long)group * nc, groupRows, target, problem.N, Math.Min(groupRows, rows - group), nc, problem.Beta != 0f, problem.StreamsC);
            }
        }
    }

    // One tile of `columns` (≤ 6) columns into `block` (groupRows floats per column): straight
    // from the kernel when whole, through a scratch tile when ragged.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RunTile(int groupRows, int depth, float* panel, float* bt, int columns, float* prefetch, long prefetchStep, float* block)
    {
        if (columns == TileColumns)
        {
            StreamedTransposedBKernel.Run(groupRows, depth, panel, bt, depth, columns, prefetch, prefetchStep, block);
            return;
        }
        float* scratch = stackalloc float[LargestGroup * TileColumns];
        StreamedTransposedBKernel.Run(groupRows, depth, panel, bt, depth, columns, prefetch, prefetchStep, scratch);
        long bytes = (long)columns * groupRows * sizeof(float);
        Buffer.MemoryCopy(scratch, block, bytes, bytes);
    }

    // Floats of one cache line: the unit of the next chunk's prefetch.
    private const int LineFloats = GemmSourcePrefetch.FloatsPerLine;

    // The rows of Bᵀ read after the chunk that ends at column `end` (contiguous: up to 48·K floats):
    // their start, and the count of cache lines returned; the rectangle's next chunk, else the
    // next rectangle's first if its B is transposed too, else none.
    private static long NextChunk(GemmRectangle rectangle, int end, GemmRectangle? next, out float* start)
    {
        var problem = rectangle.Problem;
        int columnEnd = rectangle.ColumnStart + rectangle.ColumnCount;
        if (end < columnEnd)
        {
            start = problem.B.Data + (long)end * problem.K;
            return Lines(Math.Min(ChunkColumns, columnEnd - end), problem.K);
        }
        if (next is { } following && following.ColumnCount > 0 && following.Problem.B.Transposed)
        {
            start = following.Problem.B.Data + (long)following.ColumnStart * following.Problem.K;
            return Lines(Math.Min(ChunkColumns, following.ColumnCount), following.Problem.K);
        }
        start = null;
        return 0;
    }

    private static long Lines(int rowsOfB, int depth) => ((long)rowsOfB * depth + LineFloats - 1) / LineFloats;
}
