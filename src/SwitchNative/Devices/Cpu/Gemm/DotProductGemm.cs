// Products with few rows and a transposed B (AVX-512 or AVX2 + FMA): C = A·Bᵀ with A [M, K] and
// Bᵀ [N, K] both row-major, so every element of C is the dot product of two contiguous rows. This
// is the Switch layer's forward x·Wᵀ on an expert's tokens (its weights are stored [out, in]). On
// AVX-512, products of 48 rows or more with a K of 384–2048 run on StreamedTransposedBGemm
// instead (no lane sums to add up at the end), which hands its last few rows (up to 40 past a
// multiple of 64, or 8 past a multiple of 16) back to this file's 4×6 tile.
//
// The packed path copied Bᵀ into panels first, a transpose of every weight for the few rows that
// use it, and read the copy back; the streamed path's broadcasts would read Bᵀ's columns, NR
// strided rows per step (0.61–1.04× packed). Here nothing is copied: a tile of 4 rows × 6 columns
// of C (DotProductKernel512; 3 × 4 on AVX2, DotProductKernel256) reads 4 rows of A and 6 rows of
// Bᵀ straight along K, and the 6 rows of Bᵀ (6·K floats, contiguous) stay in L1 while the tile
// walks down all of the rectangle's rows; A's rows (at most 192 × K floats) come from L2. While
// one group of 6 rows of Bᵀ is in use, the next group is requested into L2, a share of its lines
// per tile; the rectangle's last group requests the next rectangle's first.
//
//   for each group of 6 columns of the rectangle:      (6 rows of Bᵀ)
//     for each 4 rows of the rectangle: one tile, the whole of K, straight into C
//
// In-process against the packed path it replaces (old time / new, medians of 15–21 alternating
// rounds on the same operands), 1 thread: 64 experts × 512 × 2048 (the benchmark's weights,
// 256 MB from memory) uneven 1.32, 64 rows each 1.30, 22 rows 1.58, 110 rows 1.17; 64 experts ×
// 2048 × 512 uneven 1.25; one product of 16 rows × 512 × 2048 1.76, of one row 2.9 (the packed
// path copies all of Bᵀ for it); the training model's second expert product, 8 experts × 512 ×
// 256, 1.11 at 128 rows, 1.25 at 150, 1.34 at 100 (1.11 on 2 threads); 2 threads, 64 experts
// uneven: × 512 × 2048 1.33, × 2048 × 512 1.04. Where K is shallow the tile's fixed cost of
// adding up its lanes is paid over few steps, while the packed path's cost of copying Bᵀ is
// shared by fewer rows the fewer there are (8 experts × K × 1024, rows: time ratio):
//   K = 64:  1: 2.2, 4: 2.8, 8: 1.18, 16: 0.98, 32: 0.80, 64 (N = 512): 0.66
//   K = 128: 1: 2.1, 4: 2.8, 8: 1.48, 16: 1.28, 32: 1.07, 64 (N = 512): 0.86
//   K = 192: 32: 1.12, 64 (N = 512): 0.91;  K = 256: 8: 1.50, 16: 1.53, 32: 1.37, 64 (N = 512):
//   1.01–1.04, 128 (N = 512, a first version): 0.89–0.93;  K = 320: 64: 1.17, 128: 1.00;
//   K = 384 with 128 rows × 512: 1.03.
// So below K = 384 this path takes products of at most K / 8 rows, from K = 64 (below it a
// tile's steps are too few to matter either way: K = 16–48 measured 1.00).
// The AVX2 tile against the AVX2 packed path (the same machine with Vector256 only, 1 thread):
// 64 experts × 512 × 2048 uneven 1.29 (1.29 on 2 threads), 64 rows 1.23, 22 rows 1.52; × 2048 ×
// 512 uneven 1.38; 16 rows × 512 × 2048 2.3; 8 experts × 512 × 256 at 128 rows 1.16; 64 rows ×
// 256 × 512 1.14; 128 rows × 384 × 512 1.15. Same rule (which leaves the 64 × 256 case packed).
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace SwitchNative.Devices.Cpu.Gemm;

/// <summary>The few-rows GEMM with a transposed B, as dot products of rows read in place.</summary>
internal static unsafe class DotProductGemm
{
    // Smallest K at which any few-rows product gains; below it, from MinimumDepth up, products
    // of at most K / DepthPerRow rows (see the top of the file).
    private const int AnyRowsDepth = 384;
    private const int DepthPerRow = 8;
    private const int MinimumDepth = 64;

    /// <summary>Most rows a rectangle may have here (its tails buffer is on the stack); few-rows products have at most 192.</summary>
    public const int MaximumRows = 256;

    /// <summary>
    /// Whether a few-rows product C = A·Bᵀ (row-major A, transposed B) runs here: decided by the
    /// product's M and K alone, so a product is summed the same way on any number of threads.
    /// </summary>
    public static bool Suits(GemmProblem problem) =>
        !problem.A.Transposed && problem.B.Transposed
        && (problem.K >= AnyRowsDepth || (problem.K >= MinimumDepth && (long)problem.M * DepthPerRow <= problem.K));

    /// <summary>Computes one rectangle of a product that <see cref="Suits"/> on <typeparamref name="TKernel"/>'s tiles: C (+)= α·A·Bᵀ over its rows and columns.</summary>
    /// <param name="rectangle">The rows and columns of C to compute.</param>
    /// <param name="next">The rectangle this thread will likely take next, whose first rows of Bᵀ the last tiles request.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run<TKernel>(GemmRectangle rectangle, GemmRectangle? next) where TKernel : struct, IDotProductKernel
    {
        var problem = rectangle.Problem;
        if (!Suits(problem)) throw new ArgumentException("the dot-product GEMM reads a row-major A and a transposed B", nameof(rectangle));
        if (rectangle.RowCount > MaximumRows) throw new ArgumentException($"the dot-product GEMM takes at most {MaximumRows} rows at once, not {rectangle.RowCount}", nameof(rectangle));
        int rows = TKernel.Rows, columns = TKernel.Columns, step = TKernel.StepDepth;
        int depth = problem.K, whole = depth / step * step, tail = depth - whole;
        long ldc = problem.N;
        int tiles = (rectangle.RowCount + rows - 1) / rows;
        int columnEnd = rectangle.ColumnStart + rectangle.ColumnCount;
        float* a = problem.A.Data + (long)rectangle.RowStart * depth;
        // The last depth mod 16 values of each row, zero-padded to one step: A's for the whole
        // rectangle here, Bᵀ's per group of columns below. They are added by a second, one-step
        // pass over each group's tiles (the same for every element, so still position-free).
        float* aTails = stackalloc float[tail > 0 ? rectangle.RowCount * step : 0];
        float* bTails = stackalloc float[tail > 0 ? columns * step : 0];
        if (tail > 0) CopyTails(a + whole, depth, rectangle.RowCount, tail, step, aTails);
        for (int column = rectangle.ColumnStart; column < columnEnd; column += columns)
        {
            int width = Math.Min(columns, columnEnd - column);
            float* b = problem.B.Data + (long)column * depth;
            long lines = NextGroup(rectangle, column, columns, next, out float* prefetch);
            long linesPerTile = (lines + tiles - 1) / tiles;
            for (int tile = 0; tile < tiles; tile++)
            {
                int row = tile * rows, height = Math.Min(rows, rectangle.RowCount - row);
                long first = Math.Min(tile * linesPerTile, lines), count = Math.Min(linesPerTile, lines - first);
                // A tile requests one line per 16 values of depth; a shallow one asks for the rest up front.
                long inSteps = Math.Min(count, whole / LineFloats);
                if (Sse.IsSupported)
                    for (long line = inSteps; line < count; line++) Sse.Prefetch1(prefetch + (first + line) * LineFloats);
                float* target = problem.C + (long)(rectangle.RowStart + row) * ldc + column;
                TKernel.Run(whole, a + (long)row * depth, depth, height, b, depth, width,
                    problem.Alpha, problem.Beta != 0f, target, ldc, prefetch + first * LineFloats, (int)inSteps);
            }
            if (tail == 0) continue;
            CopyTails(b + whole, depth, width, tail, step, bTails);
            for (int tile = 0; tile < tiles; tile++)
            {
                int row = tile * rows, height = Math.Min(rows, rectangle.RowCount - row);
                float* target = problem.C + (long)(rectangle.RowStart + row) * ldc + column;
                TKernel.Run(step, aTails + (long)row * step, step, height, bTails, step, width, problem.Alpha, accumulate: true, target, ldc, null, 0);
            }
        }
    }

    // target[r·step + q] = source[r·stride + q] for q < tail, 0 up to step, for each of `count` rows.
    private static void CopyTails(float* source, long stride, int count, int tail, int step, float* target)
    {
        for (int r = 0; r < count; r++)
            for (int q = 0; q < step; q++)
                target[(long)r * step + q] = q < tail ? source[r * stride + q] : 0f;
    }

    // Floats of one cache line: the unit of the next group's prefetch.
    private const int LineFloats = GemmSourcePrefetch.FloatsPerLine;

    // The rows of Bᵀ the tiles after the group at `column` read first (contiguous: `columns`·K
    // floats): their start, and the count of cache lines returned; the rectangle's next group,
    // else the next rectangle's first if it runs here too, else none.
    private static long NextGroup(GemmRectangle rectangle, int column, int columns, GemmRectangle? next, out float* start)
    {
        var problem = rectangle.Problem;
        int columnEnd = rectangle.ColumnStart + rectangle.ColumnCount;
        if (column + columns < columnEnd)
        {
            start = problem.B.Data + (long)(column + columns) * problem.K;
            return Lines(Math.Min(columns, columnEnd - column - columns), problem.K);
        }
        if (next is { } following && following.ColumnCount > 0 && Suits(following.Problem))
        {
            start = following.Problem.B.Data + (long)following.ColumnStart * following.Problem.K;
            return Lines(Math.Min(columns, following.ColumnCount), following.Problem.K);
        }
        start = null;
        return 0;
    }

    private static long Lines(int rowsOfB, int depth) => ((long)rowsOfB * depth + LineFloats - 1) / LineFloats;
}
