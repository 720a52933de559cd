// The kernel sets of the streamed-B GEMM, one per vector width: how an expert's rows are cut
// into row groups and which kernel runs each group (see StreamedBGemm).
namespace SwitchNative.Devices.Cpu.Gemm;

/// <summary>The streamed-B kernels of one vector width.</summary>
internal unsafe interface IStreamedBFamily
{
    /// <summary>Rows of one vector: rows are padded to a multiple of this.</summary>
    static abstract int RowUnit { get; }

    /// <summary>
    /// The most rows left over after the last whole RowUnit that run on StreamedBResidualKernel
    /// instead of a padded group (0: none; they are padded), when <paramref name="wholeRows"/> rows
    /// fill whole vectors before them.
    /// </summary>
    static abstract int ResidualRows(int wholeRows);

    /// <summary>Rows of the next row group when <paramref name="left"/> (a multiple of RowUnit) rows remain.</summary>
    static abstract int GroupRows(int left);

    /// <summary>
    /// Runs the kernel for a group of <paramref name="groupRows"/> rows over every tile of its
    /// columns, its tiles sweeping <paramref name="sweptRows"/> rows at <paramref name="sweptChunk"/>
    /// into L2 as they go (null: none; see StreamedBSweep).
    /// </summary>
    static abstract void RunGroup(int groupRows, int kc, float* panel, float* source, long rowStride, int nc, float* block, bool accumulate, float* sweptChunk, int sweptRows);
}

/// <summary>AVX-512: row groups of 64, 48, 32 and 16 rows.</summary>
internal readonly unsafe struct StreamedBVector512 : IStreamedBFamily
{
    public static int RowUnit => 16;

    // Leftover rows past the last whole vector run on the residual tiles: up to 14 of them
    // (StreamedBResidualKernel.MaximumRows) past two or more vectors, up to 12 past one (30 rows
    // ran 0.96–0.97× as 16 + 14 against one padded 32-row group), and with no whole vector only 1–2
    // rows (on the 2×128 tile). An expert of 3–14 rows alone reads B from memory on the residual
    // tiles slower than a padded 16-row group does (in-process, 64 experts × 512 × 2048, 1 thread,
    // two runs: 4, 6, 8 rows 19.3, 21.0, 21.2 ms residual against 12.8–13.5 ms padded; 9, 10, 12
    // rows on a 12-row tile 21.5–24.2 ms against 12.3–13.0); 1 and 2 rows faster (10.0–10.2 against
    // 12.4–12.9 ms). The Switch layer's experts at T = 512, E = 64 hold about 8 tokens each.
    public static int ResidualRows(int wholeRows) => wholeRows == 0 ? 2 : wholeRows == RowUnit ? 12 : StreamedBResidualKernel.MaximumRows;

    // Groups of 64, then one of what is left, except 80 = 48 + 32 instead of 64 + 16: a 16-row
    // group re-reads B from L2 for 16 FMAs per line (80×512×2048: 1.06× packed with 48 + 32,
    // 0.94× with 64 + 16). Taller tiles, so that an expert of 81–112 rows reads B in one pass
    // (in-process, 64 experts × 512 × 2048, old time / new, two runs in a slow phase): 96×4
    // (6 vectors × 4 columns) for 81–96 rows, 88-row experts 0.97–1.03, the uneven 64 experts
    // 0.97–1.01; with 112×3 for 97–112 rows as well, 110-row experts 0.95, uneven 0.95–0.99.
    public static int GroupRows(int left) => left == 80 ? 48 : Math.Min(64, left);

    public static void RunGroup(int groupRows, int kc, float* panel, float* source, long rowStride, int nc, float* block, bool accumulate, float* sweptChunk, int sweptRows)
    {
        if (groupRows == 64) StreamedBGemm.RunGroup<StreamedBKernel64x6>(kc, panel, source, rowStride, nc, block, accumulate, sweptChunk, sweptRows);
        else if (groupRows == 48) StreamedBGemm.RunGroup<StreamedBKernel48x8>(kc, panel, source, rowStride, nc, block, accumulate, sweptChunk, sweptRows);
        else if (groupRows == 32) StreamedBGemm.RunGroup<StreamedBKernel32x12>(kc, panel, source, rowStride, nc, block, accumulate, sweptChunk, sweptRows);
        else StreamedBGemm.RunGroup<StreamedBKernel16x16>(kc, panel, source, rowStride, nc, block, accumulate, sweptChunk, sweptRows);
    }
}

/// <summary>AVX2 + FMA: row groups of 16 rows, and one of 8 for the rest (16 ymm registers hold no taller tile).</summary>
internal readonly unsafe struct StreamedBVector256 : IStreamedBFamily
{
    public static int RowUnit => 8;

    public static int ResidualRows(int wholeRows) => 0;

    public static int GroupRows(int left) => Math.Min(16, left);

    public static void RunGroup(int groupRows, int kc, float* panel, float* source, long rowStride, int nc, float* block, bool accumulate, float* sweptChunk, int sweptRows)
    {
        if (groupRows == 16) StreamedBGemm.RunGroup<StreamedBKernel16x6Vector256>(kc, panel, source, rowStride, nc, block, accumulate, sweptChunk, sweptRows);
        else StreamedBGemm.RunGroup<StreamedBKernel8x12Vector256>(kc, panel, source, rowStride, nc, block, accumulate, sweptChunk, sweptRows);
    }
}
