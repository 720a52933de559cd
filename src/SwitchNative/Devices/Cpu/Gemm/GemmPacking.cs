// Packing (Goto and van de Geijn, "Anatomy of high-performance matrix multiplication", 2008):
// copy a block of op(A) and of op(B) into the exact order the micro-kernel reads, so the kernel
// streams both with unit stride whatever the transposes were. Ragged edges are padded with
// zeros, which lets the kernel always run full tiles. α is folded into the packed A.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SwitchNative.Devices.Cpu.Gemm;

// The packing loops are marked AggressiveOptimization, like the micro-kernels: tiered
// compilation would otherwise run them unoptimized for the first calls (a 1024³ product's
// first few runs were up to 2× slower), and every GEMM-heavy program starts with those calls.
internal static unsafe class GemmPacking
{
    // In StreamedBGemm, packing Ã costs about 2 % of a tall expert's time, nearly all of it waiting
    // on A's lines (in-process, the uneven 64 experts × 512 × 2048 and experts of 66 and 110 rows,
    // 1 and 2 threads, old time / new): skipping every depth block's packing but the first (wrong
    // results, timing only) 1.016–1.021; a 110-row pack took 1.7–2.8 µs in place and 0.7–1.0 µs
    // repeated at once from cache. Nothing tried to hide that wait gained for them (the fused
    // 17–24-row pass gains: see StreamedBGemm.PrefetchPanelSource): prefetching the next block's A
    // lines (T1) all at once during the last chunk 0.994–1.008, spread over the chunks 0.998–1.024,
    // one line after each tile 0.988–1.013 (3 % slower until the cursor lost a 64-bit division per
    // tile); the current block's lines all prefetched just before packing 0.993–1.013 (seven runs);
    // the next block packed 16 depth steps at a time between the chunks' group calls, its lines
    // prefetched one call ahead, into a second Ã buffer 0.989–1.003; all of K packed once at the
    // expert's start (each block's panel then a slice) 0.988–1.019. The prefetches themselves
    // stalled: a burst of one block's lines (440 for 110 rows) took 0.3–0.6 ms a product. B's
    // streaming keeps the core's outstanding misses busy, and A's lines wait their turn however
    // they are asked for.
    /// <summary>
    /// Packs rows [rowStart, rowStart + rowCount) × columns [depthStart, depthStart + depth) of op(A)
    /// as micro-panels of <paramref name="panelRows"/> rows: panel r holds, for each p, the values
    /// α·op(A)[rowStart + r·MR + i, depthStart + p] at <c>destination[r·MR·depth + p·MR + i]</c>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackA(GemmOperand a, int rowStart, int rowCount, int depthStart, int depth, float alpha, int panelRows, float* destination)
    {
        if (a.Transposed)
        {
            PackTransposedA(a, rowStart, rowCount, depthStart, depth, alpha, panelRows, destination);
            return;
        }
        for (int panelStart = 0; panelStart < rowCount; panelStart += panelRows)
        {
            float* panel = destination + (long)panelStart * depth;
            int rows = Math.Min(panelRows, rowCount - panelStart);
            int firstRow = rowStart + panelStart;
            // Stored [M, K]: row i is contiguous along p, so this is a transpose. With α = 1,
            // blocks of 8 depth steps go through registers: 8×8 and 4×8 transposes for as many
            // rows as they cover, the few rows left element by element. The rest (other α, the
            // last depth steps) goes element by element with p outside, so the panel is
            // written sequentially. This reads its MR source rows at 7–8 GB/s from memory (a
            // 2048 × 2048 A in 512-deep blocks: 1.9–2.2 ms); prefetching the next panel's rows in
            // software while transposing one made it 0.88–0.90× as fast. Both halves of each
            // source line back to back (blocks of 16 depth steps, so fewer of the MR rows, which a
            // K of 2048 puts in one L1 set, are live at once): 1.03–1.12× from cache, a few
            // hundredths of a millisecond per product, not kept.
            float* source = a.Data + (long)firstRow * a.Columns + depthStart;
            int p = 0;
            if (alpha == 1f && rows >= 4 && Avx.IsSupported)
            {
                for (; p + 8 <= depth; p += 8)
                {
                    int i = 0;
                    for (; i + 8 <= rows; i += 8) Transpose8x8(source + (long)i * a.Columns + p, a.Columns, panel + p * panelRows + i, panelRows);
                    if (i + 4 <= rows)
                    {
                        Transpose4x8(source + (long)i * a.Columns + p, a.Columns, panel + p * panelRows + i, panelRows);
                        i += 4;
                    }
                    for (int q = 0; q < 8; q++)
                    {
                        float* target = panel + (p + q) * panelRows;
                        for (int r = i; r < rows; r++) target[r] = source[(long)r * a.Columns + p + q];
                        for (int r = rows; r < panelRows; r++) target[r] = 0f;
                    }
                }
            }
            for (; p < depth; p++)
            {
                float* target = panel + p * panelRows;
                int i = 0;
                for (; i < rows; i++) target[i] = alpha * source[(long)i * a.Columns + p];
                for (; i < panelRows; i++) target[i] = 0f;
            }
        }
    }

    // Stored [K, M] (the weight gradient Xᵀ·dY packs all of X this way): for fixed p the rows of
    // every panel are contiguous in memory, so each packed row is a scaled copy. The walk goes
    // along the stored rows (row p of every panel in turn), reading the source as one sequential
    // stream, as PackRowMajorB does; walking panel by panel read MR floats from each of kc rows
    // M floats apart, which the prefetchers do not follow. Packing all of a 4096 × 512 X from
    // memory (1 thread, in 512 × 512 blocks): 2.60 → 1.17 ms; in the 192-row units that 2
    // threads share 1.80 → 1.40; 2048 × 2048 5.70 → 3.04. The whole Xᵀ·dY product (4096 × 512 ×
    // 2048, old time / new, 25 rounds, three runs): 0.99–1.02 on 1 thread and 2. Copying each
    // 12-float row of a panel with one 256-bit and one 128-bit move (MR = 12, α = 1) instead of
    // CopyScaled: 0.97–1.10 on packing all of a 4096 × 512 X alone (about 1.05 ms, twice a
    // memcpy of the same bytes), so not kept.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackTransposedA(GemmOperand a, int rowStart, int rowCount, int depthStart, int depth, float alpha, int panelRows, float* destination)
    {
        for (int p = 0; p < depth; p++)
        {
            float* source = a.Data + (long)(depthStart + p) * a.Rows + rowStart;
            for (int panelStart = 0; panelStart < rowCount; panelStart += panelRows)
            {
                int rows = Math.Min(panelRows, rowCount - panelStart);
                float* target = destination + (long)panelStart * depth + p * panelRows;
                CopyScaled(source + panelStart, target, rows, alpha);
                for (int i = rows; i < panelRows; i++) target[i] = 0f;
            }
        }
    }

    /// <summary>
    /// Packs micro-panels [panelFirst, panelFirst + panelCount) of NR columns from rows
    /// [depthStart, depthStart + depth) × columns [columnStart, columnStart + columnCount) of op(B):
    /// panel j holds op(B)[depthStart + p, columnStart + j·NR + c] at <c>destination[j·NR·depth + p·NR + c]</c>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackB(GemmOperand b, int depthStart, int depth, int columnStart, int columnCount, int panelColumns, int panelFirst, int panelCount, float* destination)
    {
        if (!b.Transposed)
        {
            PackRowMajorB(b, depthStart, depth, columnStart, columnCount, panelColumns, panelFirst, panelCount, destination);
            return;
        }
        for (int panel = panelFirst; panel < panelFirst + panelCount; panel++)
        {
            int panelStart = panel * panelColumns;
            float* target = destination + (long)panelStart * depth;
            int columns = Math.Min(panelColumns, columnCount - panelStart);
            int firstColumn = columnStart + panelStart;
            // Stored [N, K]: column c of op(B) is contiguous along p, so this is a transpose.
            // 8×8 blocks go through registers (AVX); the rest is copied in blocks of 8 p so each
            // source cache line is consumed at once (with a power-of-two K the NR source rows
            // alias the same L1 sets, and walking them one p at a time thrashes).
            float* source = b.Data + (long)firstColumn * b.Rows + depthStart;
            for (int p0 = 0; p0 < depth; p0 += 8)
            {
                int block = Math.Min(8, depth - p0);
                int c = 0;
                if (block == 8 && Avx.IsSupported)
                    for (; c + 8 <= columns; c += 8) Transpose8x8(source + (long)c * b.Rows + p0, b.Rows, target + p0 * panelColumns + c, panelColumns);
                for (; c < columns; c++)
                {
                    float* from = source + (long)c * b.Rows + p0;
                    float* to = target + p0 * panelColumns + c;
                    for (int q = 0; q < block; q++) to[q * panelColumns] = from[q];
                }
                for (int q = 0; q < block; q++)
                    new Span<float>(target + (p0 + q) * panelColumns + columns, panelColumns - columns).Clear();
            }
        }
    }

    // Stored [K, N]: each packed row is a contiguous copy. The walk goes along B's rows (row p
    // of every panel in turn) so the source is read as sequential streams; walking panel by
    // panel instead reads NR floats from each of kc rows N floats apart, which the prefetchers
    // do not follow (the 64-row expert products spent as long packing as multiplying).
    // Full panels take four rows per visit (one 4·NR-float contiguous run of the panel) with
    // the widest vectors: the expert weights come from memory, and this copy runs near the
    // core's read bandwidth (64 experts' 512×2048 weights: 37.6 → 26.3 ms with 128-bit,
    // one-row copies; a plain 512-bit copy of the same bytes takes 30 ms). A 2048 × 2048 B packs
    // in 512 × 512 blocks from memory in 1.4–1.7 ms (10–11 GB/s); prefetching the rows 4–16 ahead
    // in software changed nothing.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackRowMajorB(GemmOperand b, int depthStart, int depth, int columnStart, int columnCount, int panelColumns, int panelFirst, int panelCount, float* destination)
    {
        int fullPanelEnd = panelFirst + Math.Max(0, Math.Min(panelCount, columnCount / panelColumns - panelFirst));
        long stride = b.Columns;
        int p = 0;
        for (; p + RowsPerVisit <= depth; p += RowsPerVisit)
        {
            float* sourceRows = b.Data + (long)(depthStart + p) * stride + columnStart;
            for (int panel = panelFirst; panel < fullPanelEnd; panel++)
            {
                int panelStart = panel * panelColumns;
                float* target = destination + (long)panelStart * depth + p * panelColumns;
                for (int row = 0; row < RowsPerVisit; row++) CopyScaled(sourceRows + row * stride + panelStart, target + row * panelColumns, panelColumns, 1f);
            }
            for (int row = 0; row < RowsPerVisit; row++) PackRowMajorBEdge(sourceRows + row * stride, p + row, depth, columnCount, panelColumns, fullPanelEnd, panelFirst + panelCount, destination);
        }
        for (; p < depth; p++)
            PackRowMajorBEdge(b.Data + (long)(depthStart + p) * stride + columnStart, p, depth, columnCount, panelColumns, panelFirst, panelFirst + panelCount, destination);
    }

    private const int RowsPerVisit = 4;

    // Row p of panels [panelStart, panelEnd), any of them ragged (zero-padded to NR columns).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackRowMajorBEdge(float* sourceRow, int p, int depth, int columnCount, int panelColumns, int panelStart, int panelEnd, float* destination)
    {
        for (int panel = panelStart; panel < panelEnd; panel++)
        {
            int firstColumn = panel * panelColumns;
            int columns = Math.Min(panelColumns, columnCount - firstColumn);
            float* source = sourceRow + firstColumn;
            float* target = destination + (long)firstColumn * depth + p * panelColumns;
            CopyScaled(source, target, columns, 1f);
            for (int c = columns; c < panelColumns; c++) target[c] = 0f;
        }
    }

    // target[0..count) = scale·source[0..count) with the widest vectors that fit (B's rows are
    // copied with scale 1, which is exact; A's panels of 4–8 rows are scaled by α).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyScaled(float* source, float* target, int count, float scale)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i + Vector512<float>.Count <= count; i += Vector512<float>.Count) (Vector512.Load(source + i) * scale).Store(target + i);
        if (Vector256.IsHardwareAccelerated)
            for (; i + Vector256<float>.Count <= count; i += Vector256<float>.Count) (Vector256.Load(source + i) * scale).Store(target + i);
        for (; i + Vector128<float>.Count <= count; i += Vector128<float>.Count) (Vector128.Load(source + i) * scale).Store(target + i);
        for (; i < count; i++) target[i] = scale * source[i];
    }

    // Writes the transpose of the 4×8 block at source (row stride sourceStride) as 8 rows of 4
    // floats at target (row stride targetStride): the first two steps of the 8×8 transpose, then
    // each 128-bit half is one output row.
    // Both transposes are inlined into the packing loops: PackA run as calls (the JIT did not
    // inline them into the AggressiveOptimization loops by itself) took 0.96 / 3.24 / 0.66 ms to
    // pack 640×2048 / 2048×2048 / 1024×1024 from cache, 0.54 / 1.77 / 0.36 inlined (the speed
    // of a plain copy). Whole products (in-process, alternating): 2048×256×768 and
    // 2048×256×256, where Ã is large beside the work, 1.02–1.03 on 1 and 2 threads; the
    // `compare gemm` shapes 0.98–1.03 (no measurable change).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose4x8(float* source, int sourceStride, float* target, int targetStride)
    {
        var r0 = Avx.LoadVector256(source);
        var r1 = Avx.LoadVector256(source + sourceStride);
        var r2 = Avx.LoadVector256(source + 2 * sourceStride);
        var r3 = Avx.LoadVector256(source + 3 * sourceStride);
        var t0 = Avx.UnpackLow(r0, r1);   // r0[0] r1[0] r0[1] r1[1] | r0[4] r1[4] r0[5] r1[5]
        var t1 = Avx.UnpackHigh(r0, r1);  // r0[2] r1[2] r0[3] r1[3] | r0[6] r1[6] r0[7] r1[7]
        var t2 = Avx.UnpackLow(r2, r3);
        var t3 = Avx.UnpackHigh(r2, r3);
        var s0 = Avx.Shuffle(t0, t2, 0x44); // column 0 | column 4
        var s1 = Avx.Shuffle(t0, t2, 0xEE); // column 1 | column 5
        var s2 = Avx.Shuffle(t1, t3, 0x44); // column 2 | column 6
        var s3 = Avx.Shuffle(t1, t3, 0xEE); // column 3 | column 7
        Sse.Store(target, s0.GetLower());
        Sse.Store(target + targetStride, s1.GetLower());
        Sse.Store(target + 2 * targetStride, s2.GetLower());
        Sse.Store(target + 3 * targetStride, s3.GetLower());
        Sse.Store(target + 4 * targetStride, s0.GetUpper());
        Sse.Store(target + 5 * targetStride, s1.GetUpper());
        Sse.Store(target + 6 * targetStride, s2.GetUpper());
        Sse.Store(target + 7 * targetStride, s3.GetUpper());
    }

    // Writes the transpose of the 8×8 block at source (row stride sourceStride) to target (row
    // stride targetStride): unpack pairs, shuffle quads, swap 128-bit halves.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Transpose8x8(float* source, int sourceStride, float* target, int targetStride)
    {
        var r0 = Avx.LoadVector256(source);
        var r1 = Avx.LoadVector256(source + sourceStride);
        var r2 = Avx.LoadVector256(source + 2 * sourceStride);
        var r3 = Avx.LoadVector256(source + 3 * sourceStride);
        var r4 = Avx.LoadVector256(source + 4 * sourceStride);
        var r5 = Avx.LoadVector256(source + 5 * sourceStride);
        var r6 = Avx.LoadVector256(source + 6 * sourceStride);
        var r7 = Avx.LoadVector256(source + 7 * sourceStride);
        var t0 = Avx.UnpackLow(r0, r1);
        var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3);
        var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5);
        var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7);
        var t7 = Avx.UnpackHigh(r6, r7);
        var s0 = Avx.Shuffle(t0, t2, 0x44);
        var s1 = Avx.Shuffle(t0, t2, 0xEE);
        var s2 = Avx.Shuffle(t1, t3, 0x44);
        var s3 = Avx.Shuffle(t1, t3, 0xEE);
        var s4 = Avx.Shuffle(t4, t6, 0x44);
        var s5 = Avx.Shuffle(t4, t6, 0xEE);
        var s6 = Avx.Shuffle(t5, t7, 0x44);
        var s7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Store(target, Avx.Permute2x128(s0, s4, 0x20));
        Avx.Store(target + targetStride, Avx.Permute2x128(s1, s5, 0x20));
        Avx.Store(target + 2 * targetStride, Avx.Permute2x128(s2, s6, 0x20));
        Avx.Store(target + 3 * targetStride, Avx.Permute2x128(s3, s7, 0x20));
        Avx.Store(target + 4 * targetStride, Avx.Permute2x128(s0, s4, 0x31));
        Avx.Store(target + 5 * targetStride, Avx.Permute2x128(s1, s5, 0x31));
        Avx.Store(target + 6 * targetStride, Avx.Permute2x128(s2, s6, 0x31));
        Avx.Store(target + 7 * targetStride, Avx.Permute2x128(s3, s7, 0x31));
    }
}
