// Batches with enough work to share run on a SharedPackingSchedule, so that each operand is
// packed once and the threads take work as they free up.
//
// Cut into per-thread rectangles, every thread of a product with many rows needs all of the
// operand the cut does not divide: all of op(A) when C is cut along N, all of op(B) when along M.
// Each thread packed that operand itself, so on 2 threads it was packed twice. Packing A is a
// transpose that runs at memory speed (4.5–5.5 GB/s here), and its second copy cost a few per
// cent of a 2048³ product and more of a 1024³ one. OpenBLAS packs each operand once, each thread
// a share. So a product with many rows ran in steps (on the Zen 5, one row rectangle a thread,
// each packing its own, now wins where the tiles fill B̃ and N > WholeBColumns: see CutsRows):
//  - SharedPackedBPlan (OpenBLAS's own arrangement): a step is (column chunk jc, depth block pc).
//    The threads pack B̃[pc.., jc..] together, PackUnitPanels micro-panels per unit; the compute
//    units are bands of rows (at least MinimumBands of them, at most BandPanels row panels each),
//    whose taker packs its own Ã band and runs the macro-kernel over each ColumnBlock of the
//    shared B̃ in turn. With N ≤ WholeBColumns on the AVX-512 tile it shares nothing: each thread's
//    tiles pack its own B̃ and the Ã bands as they read them (PackedGemm.FillingTiles.cs).
//  - SharedPackedAPlan, for a transposed op(A) with N ≥ M (the weight gradient Xᵀ·dY), or any
//    op(A) with N ≥ 2·M (see below): a step is
//    (row chunk ic, depth block pc), in RunManyRows' order. The threads pack Ã[ic.., pc..]
//    together; the compute units are C's column blocks (ColumnBlock wide), whose taker packs its
//    own B̃ block (it stays in its L2) and runs the macro-kernel over the whole chunk. A band of
//    Xᵀ packs from runs of only band-many floats, N floats apart; a shared chunk's units pack
//    longer runs.
// Any other product (few rows: an expert's tokens; too small to share out; or CutsRows) is one
// step of rectangles, as on the static path, taken one at a time by whichever thread is free.
// On one thread nothing is shared, but SharedPackedBPlan's loop order still serves products with
// M > N better than RunManyRows' (B̃ packed once per depth block, not once per 3072-row chunk,
// and each Ã band in L2): 4096×512×2048 1.04–1.06, dX 1.05–1.06 (old time / new, two runs),
// 640×2048×512 0.99–1.00; for N ≥ M it measured 0.96–1.02, so those run whole (RunManyRows).
// In-process paired timings against per-thread rectangles on 2 threads (old time / new, medians
// of 21): with shared Ã for every N ≥ M, 1024³ 1.06–1.08, 2048³ 1.06–1.07, dW 512×4096×2048
// 1.03–1.07; with shared B̃ for M > N, 640×2048×512 1.09, 4096×512×2048 1.14, dX 1.11, A·Bᵀ 1.10.
// Shared B̃ against shared Ã for N ≥ M (four runs): 1024³ 1.00–1.07, 2048³ 1.01–1.06,
// 640×512×2048 0.97–1.04, grouped E = 8 0.98–1.00, but Xᵀ·dY 0.93–0.99. The other way round,
// shared Ã for M > N with N ≤ 1024 (compute units of 128 or 256 columns, so that there are two
// or more), against shared B̃: 640×2048×512 0.93–0.97, dX 0.88–0.90 (2 threads, two runs).
// On the Zen 5 (1 MB L2), shared Ã for a row-major A with N ≥ 2·M: `compare gemm`, 2 threads,
// ratio to OpenBLAS, alternating builds: 640×512×2048 0.95–0.96 → 0.99–1.02 (four runs each),
// grouped E = 8 (experts of 341–856 rows × 512 × 2048) 1.06–1.08 → 1.12–1.14, 93–95 % → 97–99 %
// of one product. Each band of the shared-B̃ plan reads the whole shared B̃ (N columns) again from
// L3; each column block of the shared-Ã plan reads the Ã chunk (M rows) again, fewer floats when
// N ≫ M. For N < 2·M it measured no better: 1024³ 0.97–0.98 against 0.99–1.03, 2048³ 0.92–1.02
// against 1.00–1.01 (two runs each).
namespace SwitchNative.Devices.Cpu.Gemm;

internal sealed unsafe partial class PackedGemm<TKernel, TFewRowsKernel>
{
    // Micro-panels per pack unit: 192 rows of Ã or 512 columns of B̃ at a 12 × 32 tile.
    private const int PackUnitPanels = 16;

    // Row panels per compute unit of SharedPackedBPlan: a band of 192 rows at MR = 12.
    private const int BandPanels = 16;

    // Tried and dropped: prefetching into L2, from inside a band's tiles, the source of the Ã band
    // its thread is likely to take next (the unit `threads` on), so that packing it reads L2
    // instead of memory: 0.98–1.01 on 1 thread (640×2048×512, 4096×512×2048, dX, A·Bᵀ) and
    // 0.985–1.00 on 2 (the same and 1024³, 2048³, 640×512×2048), two runs of 25 rounds.
    // Fewest bands a product is cut into, so that the threads' shares can even out. 16 instead of
    // 8 (less idle time at the end), alone or with the first step's B̃ packed as two units (so the
    // second thread does not wait on the first's packing): 0.98–1.03 on 2 threads for 640×2048×512,
    // 640×512×2048, 1024³, 4096×512×2048 and dX (old time / new, two runs of 25 rounds), no gain.
    private const int MinimumBands = 8;

    // Columns of B̃ shared per step of SharedPackedBPlan: KC × RowChunk, the size of an Ã chunk,
    // so the same workspace holds either.
    private static int SharedColumnChunk => RowChunk;

    // Many rows, and more than one compute unit to share out (a product with many rows has at
    // least 17 row panels, so at least 2 bands; shared Ã only from N > WholeBColumns, as measured).
    // On one thread only M > N: see the top of the file.
    private static bool SharesPacking(GemmProblem problem, int threads) =>
        !FewRows(problem) && (threads > 1 ? !CutsRows(problem, threads) && (!SharesA(problem) || problem.N > WholeBColumns) : problem.M > problem.N);

    // A few-rows product that is small beside its batch (one expert among many) runs whole on
    // whichever thread takes it, instead of as one row band per thread. The threads still share
    // the batch out, an expert at a time, and as no product is more than 1/(4·threads) of the
    // batch, the last one taken leaves the other threads idle for little. Results are the same:
    // a few-rows product sums each element in the same order whether or not it is cut into bands.
    // In-process, 2 threads, old time / new (rotating order, 21 rounds):
    //  - Streamed (row-major B): each thread streams different weights, B is read from memory once
    //    instead of once per band, and every expert keeps its tallest tiles (a 64-row expert runs
    //    64×6 tiles, not two bands of 32×12). 64 experts × 512 × 2048: 21 rows 1.08–1.10, 64 rows
    //    1.05–1.06, 109 rows 1.02–1.03, uneven 1.03–1.04; the training model's 8 experts of
    //    100–150 rows × 256 × 512 1.04–1.26 and × 512 × 256 1.08–1.47.
    //  - Dot products (a transposed B, DotProductGemm): whole for the same reason as
    //    streamed; against bands, 64 and 8 experts × 512 × 2048 with Bᵀ stored, uneven, 2 threads:
    //    78–83 % / 88–91 % of one product whole, 76–84 % / 88–90 % in bands (`compare gemm`, three
    //    runs each): alike.
    //  - Packed (a transposed B where the dot products do not run): B is packed once instead of
    //    once per band. Whole when B is at most WholePackedBFloats: the training model's 8 experts
    //    of 128 rows × 512 × 256 and × 256 × 512 1.03–1.12, uneven 1.01–1.03; with larger
    //    weights it loses (64 experts of 64 rows × 2048 × 512, 4 MB each: 0.92, uneven 0.98).
    // Also tried: the batch's trailing experts (the last 1/32, 1/16 or 1/8 of its work) cut in two
    // column halves, so that the threads finish together: 0.97–1.02 on the uneven 64 experts
    // (2 threads, three runs), no gain. Handing the whole experts out from both ends of a list
    // sorted by rows (one thread taking the smallest, memory-bound ones while the other takes the
    // largest, compute-bound ones, so that their reads of B overlap the other's FMAs instead of
    // coinciding): 0.995–1.03 on the uneven 64 experts (2 threads, three runs of 15–21 rounds);
    // remeasured with the list sorted by rows and the second thread walking it from the end:
    // 0.987–0.994 (three runs of 21 rounds); every expert cut in two column halves instead, so
    // both threads read neighbouring halves of the same rows of B at once: uneven 0.96–0.99,
    // 22-, 66- and 110-row experts 0.96–1.00 (two runs). Largest first (the list sorted by
    // M·N·K, descending, so the last experts taken are the smallest): uneven 1.000 on 2 threads
    // and 0.995 on 1. A trace of the uneven 64 experts on 2 threads: the threads finish 25 µs
    // apart (median) of 21 ms, and an expert takes as long on 2 threads as on 1 (per row 10.0–11.7
    // µs on either); the first expert starts 85 µs after the call (the workers' wake-up and
    // building 64 plans and the schedule, 20–40 µs).
    private bool RunsWhole(GemmProblem problem, long batchMultiplyAdds, int parts) =>
        FewRows(problem) && (Streamed(problem, _fewRowsPath) || DotProducts(problem, _fewRowsPath) || (long)problem.K * problem.N <= WholePackedBFloats)
        && (long)problem.M * problem.N * problem.K * 4 * parts <= batchMultiplyAdds;

    // Largest B (K·N floats, 1 MB) of a packed few-rows product that runs whole (see RunsWhole).
    private const long WholePackedBFloats = 1 << 18;

    // Whether a product with many rows runs on several threads as one row rectangle per thread,
    // each packing its own operands as on one thread, instead of on a shared-packing plan: where
    // the tiles fill B̃ (a row-major B on the AVX-512 tile) and N > WholeBColumns (below, the
    // shared-B̃ plan already packs no shared B̃). Measured on the Zen 5, 2 threads: the shared
    // plans pay for sharing. A step's shared block is packed before any of its bands runs, the
    // threads finish a step's last units apart (a trace of 1024³: one thread idle 60–120 µs of
    // 4.6 ms at the end), and every band reads a B̃ the other core packed. Two independent 1024³
    // products, one a core, ran 471–478 GFLOP/s together where the shared plan ran 441–451 in the
    // same runs. A thread's own rows keep its B̃ blocks in its L2, filled by its tiles (no
    // packing pass); the price, reading all of B once a thread, is a second read of B from L3.
    // In-process, old time / new, alternating, 21–31 rounds: 1024³ 1.03–1.06 (five runs),
    // 2048³ 0.98–1.06 (four), 4096×512×2048 1.02–1.03, 1024×512×1024 1.03–1.10, 768³ 1.11,
    // 1024×256×768 1.04–1.06, 2048×256×8192 1.10, 300×4096×4096 1.05, 640×512×2048 1.00–1.10,
    // 1024×256×8000 1.00–1.03. Left on the shared plans, as measured: a transposed B, which is
    // packed in a pass of its own (1024×256×8000 with Bᵀ stored 0.98), and a transposed A with
    // fewer than TransposedRowsPerThread rows a thread, whose Ã then packs from short runs
    // (256×1024×8000 0.96, 256×2048×8192 0.98; at 256 rows a thread, 512×4096×2048, 0.99–1.05).
    // Remeasured on the Zen 5, 2 threads, the shared plans in place of this (old time / new):
    // 2048³ 0.992–0.998, 1024³ 0.958–0.972. The halves are static, so a thread slowed by the host
    // leaves the other idle at the end: a trace of 2048³ on 2 threads, OpenBLAS's product run
    // between ours as in `compare gemm`, had the worker start 60–120 µs after the call (once
    // 1 ms) but its half run 6–30 % longer than the caller's in 5 of 20 rounds (the caller's
    // half 35.9–38.0 ms), and the same trace with nothing between the products ran 35–60 ms a
    // product: host noise, which finer, dynamically taken units would absorb only by packing B̃
    // once per unit instead of once per thread.
    private static bool CutsRows(GemmProblem problem, int threads) =>
        threads > 1 && !FewRows(problem) && problem.N > WholeBColumns && FillsBInTiles(problem)
        && (!problem.A.Transposed || problem.M >= TransposedRowsPerThread * threads);

    // Fewest rows a thread takes of a transposed A cut into row rectangles (see CutsRows).
    private const int TransposedRowsPerThread = 256;

    // Which plan a product that shares packing takes (see the top of the file).
    private static bool SharesA(GemmProblem problem) => problem.N >= problem.M && (problem.A.Transposed || problem.N >= 2 * problem.M);

    // batchMultiplyAdds: Σ M·N·K over the work (RunBatch has it already). The plans and the
    // schedule are built while the workers wake (CpuParallel.For with a set-up): the wake-up took
    // 30–35 µs after the call here, and the set-up 10–20 µs of it (a 1024³ product on 2 threads
    // takes 4.5 ms), so the worker now starts about 15 µs sooner.
    private void RunOnSchedule(List<GemmProblem> work, long batchMultiplyAdds, int parts)
    {
        // The shared buffers hold Ã chunks or B̃ chunks (both KC × RowChunk floats); each thread's
        // own buffers hold what it packs for itself (a B̃ block, an Ã band, or a rectangle's blocks).
        nint first = 0, second = 0;
        try
        {
            _parallel.For(parts, () =>
            {
                var plans = new GemmStepPlan[work.Count];
                for (int i = 0; i < work.Count; i++)
                {
                    var problem = work[i];
                    plans[i] = !SharesPacking(problem, parts) ? new RectanglesPlan(this, problem, i + 1 < work.Count ? work[i + 1] : null, RunsWhole(problem, batchMultiplyAdds, parts) ? 1 : parts)
                        : SharesA(problem) ? new SharedPackedAPlan(problem)
                        : new SharedPackedBPlan(problem);
                }
                first = (nint)_packedA.Rent();
                second = (nint)_packedA.Rent();
                var schedule = new SharedPackingSchedule(plans, (float*)first, (float*)second);
                return _ =>
                {
                    float* ownA = _packedA.Rent();
                    float* ownB = _packedB.Rent();
                    try
                    {
                        schedule.Work(ownA, ownB);
                    }
                    finally
                    {
                        _packedA.Return(ownA);
                        _packedB.Return(ownB);
                    }
                };
            });
        }
        finally
        {
            if (first != 0) _packedA.Return((float*)first);
            if (second != 0) _packedA.Return((float*)second);
        }
    }

    // The steps of both shared-packing plans: (chunk of one dimension, depth block pc), chunk
    // outside, so that consecutive steps of a chunk add successive depth blocks into the same C.
    private abstract class ChunkedDepthPlan(GemmProblem problem, int extent, int chunk) : GemmStepPlan
    {
        private readonly int _depthBlocks = Chunks(problem.K, DepthBlock);

        protected GemmProblem Problem => problem;

        public override int StepCount => Chunks(extent, chunk) * _depthBlocks;

        public override bool ContinuesPreviousStep(int step) => step % _depthBlocks != 0;

        // First index and length of the step's chunk, first depth and depth of its block.
        protected (int Start, int Length, int Depth, int Depths) Step(int step)
        {
            int start = step / _depthBlocks * chunk, pc = step % _depthBlocks * DepthBlock;
            return (start, Math.Min(chunk, extent - start), pc, Math.Min(DepthBlock, problem.K - pc));
        }
    }

    // Shared Ã chunks (RowChunk rows), each thread's own B̃ blocks.
    private sealed class SharedPackedAPlan(GemmProblem problem) : ChunkedDepthPlan(problem, problem.M, RowChunk)
    {
        public override int PackUnits(int step) => Chunks(Chunks(Step(step).Length, TKernel.Rows), PackUnitPanels);

        public override int ComputeUnits(int step) => Chunks(Problem.N, ColumnBlock);

        public override void Pack(int step, int unit, float* shared)
        {
            var (ic, mc, pc, kc) = Step(step);
            int offset = unit * PackUnitPanels * TKernel.Rows;
            GemmPacking.PackA(Problem.A, ic + offset, Math.Min(PackUnitPanels * TKernel.Rows, mc - offset), pc, kc, Problem.Alpha, TKernel.Rows, shared + (long)offset * kc);
        }

        public override void Compute(int step, int unit, float* shared, float* ownA, float* ownB, bool firstOfStep)
        {
            var (ic, mc, pc, kc) = Step(step);
            int jc = unit * ColumnBlock, nc = Math.Min(ColumnBlock, Problem.N - jc);
            MacroKernelPackingB(Problem, shared, ownB, ic, mc, pc, kc, jc, nc, pc > 0 || Problem.Beta != 0f);
        }
    }

    // Shared B̃ chunks (SharedColumnChunk columns), each thread's own Ã bands.
    private sealed class SharedPackedBPlan(GemmProblem problem) : ChunkedDepthPlan(problem, problem.N, SharedColumnChunk)
    {
        // Bands of at most BandPanels row panels, at least MinimumBands of them where the rows allow.
        private readonly int _bandRows = Math.Clamp(Chunks(Chunks(problem.M, TKernel.Rows), MinimumBands), 1, BandPanels) * TKernel.Rows;

        // Packing inside the tiles, each thread its own B̃ (PackedGemm.FillingTiles.cs): no shared block.
        private readonly bool _packsOwnB = PacksOwnBInTiles(problem);

        public override int PackUnits(int step) => _packsOwnB ? 0 : Chunks(Chunks(Step(step).Length, TKernel.Columns), PackUnitPanels);

        public override int ComputeUnits(int step) => Chunks(Problem.M, _bandRows);

        public override void Pack(int step, int unit, float* shared)
        {
            var (jc, nc, pc, kc) = Step(step);
            int firstPanel = unit * PackUnitPanels;
            GemmPacking.PackB(Problem.B, pc, kc, jc, nc, TKernel.Columns, firstPanel, Math.Min(PackUnitPanels, Chunks(nc, TKernel.Columns) - firstPanel), shared);
        }

        public override void Compute(int step, int unit, float* shared, float* ownA, float* ownB, bool firstOfStep)
        {
            var (jc, nc, pc, kc) = Step(step);
            int ic = unit * _bandRows, mc = Math.Min(_bandRows, Problem.M - ic);
            if (_packsOwnB)
            {
                // N ≤ WholeBColumns, so the step is the one column chunk [0, N) (jc = 0).
                bool fillA = FillsAInTiles(Problem);
                if (!fillA) GemmPacking.PackA(Problem.A, ic, mc, pc, kc, Problem.Alpha, TKernel.Rows, ownA);
                // One ColumnBlock of the band at a time, so that the block's half of B̃ (512 KB) stays
                // in L2 for all the band's rows instead of the whole 1 MB B̃, which does not fit beside
                // the Ã band, coming again from L3 for every row of tiles. Bit-identical; in-process,
                // old time / new, 41–61 alternating rounds, two or three runs: 1 thread 640×2048×512
                // 1.007–1.013, dX (4096×2048×512) 1.005–1.013, 1024×2048×512 1.014; 2 threads
                // 0.996–1.015, 1.006–1.015 and 1.009. Blocks of 128 columns measured alike.
                for (int block = 0; block < nc; block += ColumnBlock)
                    FillingMacroKernel(Problem, ic, mc, pc, kc, block, Math.Min(ColumnBlock, nc - block), pc > 0 || Problem.Beta != 0f, fillA && block == 0, fillB: firstOfStep, ownA, ownB + (long)block * kc);
                return;
            }
            // Where the tiles can, the first column block's rows of tiles copy the band's later panels (GemmPanelCopy.cs).
            bool copiesA = CopiesAInTiles(Problem);
            PackAHead(Problem, ic, mc, pc, kc, copiesA ? TKernel.Rows : mc, ownA);
            bool accumulate = pc > 0 || Problem.Beta != 0f;
            for (int block = 0; block < nc; block += ColumnBlock)
            {
                var none = GemmSourcePrefetcher.None;
                float* sourceA = copiesA && block == 0 ? Problem.A.Data + (long)ic * Problem.K + pc : null;
                MacroKernel<TKernel>(ownA, shared + (long)block * kc, Problem.C + (long)ic * Problem.N + jc + block, Problem.N, mc, Math.Min(ColumnBlock, nc - block), kc, accumulate, alongRows: true, ref none, sourceA, Problem.K);
            }
        }
    }

    // Any other product: one step whose compute units are the static path's rectangles. A packed
    // few-rows rectangle prefetches the source of the next one its thread is likely to take: the
    // same part of the next product, as when each thread kept one part of every product.
    private sealed class RectanglesPlan(PackedGemm<TKernel, TFewRowsKernel> gemm, GemmProblem problem, GemmProblem? next, int parts) : GemmStepPlan
    {
        public override int StepCount => 1;

        public override int PackUnits(int step) => 0;

        public override int ComputeUnits(int step) => Parts(problem, parts, gemm._fewRowsPath);

        public override bool ContinuesPreviousStep(int step) => false;

        public override void Pack(int step, int unit, float* shared) => throw new InvalidOperationException("a rectangles step packs nothing shared");

        public override void Compute(int step, int unit, float* shared, float* ownA, float* ownB, bool firstOfStep)
        {
            if (!TryPart(problem, unit, parts, gemm._fewRowsPath, out var rectangle)) return;
            GemmRectangle? following = next is { } product && TryPart(product, unit, parts, gemm._fewRowsPath, out var nextRectangle) ? nextRectangle : null;
            gemm.RunRectangle(rectangle, following, ownA, ownB);
        }
    }

    private static int Chunks(int length, int size) => (length + size - 1) / size;
}
