// One product with many rows run by all threads together on a SharedPackingSchedule, packing
// each operand once.
//
// Cut into per-thread rectangles, every thread needs all of the operand the cut does not divide:
// all of op(A) when C is cut along N, all of op(B) when it is cut along M. Each thread packed
// that operand itself, so on 2 threads it was packed twice. Packing A is a transpose that runs at
// memory speed (4.5–5.5 GB/s here), and its second copy cost a few per cent of a 2048³ product
// and more of a 1024³ one. OpenBLAS packs each operand once, each thread a share. So here:
//  - N ≥ M (SharedPackedAPlan): a step is (row chunk ic, depth block pc), in RunManyRows' order.
//    The threads pack Ã[ic.., pc..] together, 16 micro-panels per unit; the compute units are
//    C's column blocks (ColumnBlock wide), whose taker packs its own B̃ block (it stays in its
//    L2) and runs the macro-kernel over the whole chunk.
//  - M > N (SharedPackedBPlan, OpenBLAS's own arrangement): a step is (column chunk jc, depth
//    block pc). The threads pack B̃[pc.., jc..] together, 16 micro-panels per unit; the compute
//    units are bands of BandPanels row panels, whose taker packs its own Ã band and runs the
//    macro-kernel over each ColumnBlock of the shared B̃ in turn.
// In-process paired timings against per-thread rectangles, 2 threads (old time / new): see the
// commit and README.
namespace SwitchNative.Devices.Cpu.Gemm;

internal sealed unsafe partial class PackedGemm<TKernel, TFewRowsKernel>
{
    // Micro-panels per pack unit: 192 rows of Ã or 512 columns of B̃ at a 12 × 32 tile.
    private const int PackUnitPanels = 16;

    // Row panels per compute unit of SharedPackedBPlan: a band of 192 rows at MR = 12.
    private const int BandPanels = 16;

    // Columns of B̃ shared per step of SharedPackedBPlan: KC × RowChunk, the size of an Ã chunk,
    // so the same workspace holds either.
    private static int SharedColumnChunk => RowChunk;

    // Many rows, and more than one compute unit to share out.
    private static bool SharesPacking(GemmProblem problem) =>
        !FewRows(problem) && (problem.N >= problem.M ? problem.N > ColumnBlock : problem.M > BandPanels * TKernel.Rows);

    private void RunSharingPacking(GemmProblem problem)
    {
        bool sharedA = problem.N >= problem.M;
        // The shared buffers hold Ã chunks or B̃ chunks (both KC × RowChunk floats); each thread's own
        // buffer holds a B̃ block (shared Ã) or an Ã band (shared B̃).
        var own = sharedA ? _packedB : _packedA;
        float* first = _packedA.Rent();
        float* second = _packedA.Rent();
        try
        {
            SharedPackingSchedule schedule = sharedA ? new SharedPackedAPlan(problem, first, second) : new SharedPackedBPlan(problem, first, second);
            _parallel.For(_parallel.ThreadCount, _ =>
            {
                float* buffer = own.Rent();
                try
                {
                    schedule.Work(buffer);
                }
                catch
                {
                    schedule.Fail();
                    throw;
                }
                finally
                {
                    own.Return(buffer);
                }
            });
        }
        finally
        {
            _packedA.Return(first);
            _packedA.Return(second);
        }
    }

    // N ≥ M: shared Ã chunks, each thread's own B̃ blocks.
    private sealed class SharedPackedAPlan(GemmProblem problem, float* first, float* second)
        : SharedPackingSchedule(Chunks(problem.M, RowChunk) * Chunks(problem.K, DepthBlock), Chunks(problem.N, ColumnBlock), first, second)
    {
        private readonly int _depthBlocks = Chunks(problem.K, DepthBlock);

        private (int Row, int Rows, int Depth, int Depths) Step(int step)
        {
            int ic = step / _depthBlocks * RowChunk, pc = step % _depthBlocks * DepthBlock;
            return (ic, Math.Min(RowChunk, problem.M - ic), pc, Math.Min(DepthBlock, problem.K - pc));
        }

        protected override int PackUnits(int step) => Chunks(Chunks(Step(step).Rows, TKernel.Rows), PackUnitPanels);

        protected override void Pack(int step, int unit, float* shared)
        {
            var (ic, mc, pc, kc) = Step(step);
            int offset = unit * PackUnitPanels * TKernel.Rows;
            GemmPacking.PackA(problem.A, ic + offset, Math.Min(PackUnitPanels * TKernel.Rows, mc - offset), pc, kc, problem.Alpha, TKernel.Rows, shared + (long)offset * kc);
        }

        protected override void Compute(int step, int unit, float* shared, float* own)
        {
            var (ic, mc, pc, kc) = Step(step);
            int jc = unit * ColumnBlock, nc = Math.Min(ColumnBlock, problem.N - jc);
            GemmPacking.PackB(problem.B, pc, kc, jc, nc, TKernel.Columns, 0, Chunks(nc, TKernel.Columns), own);
            var none = GemmSourcePrefetcher.None;
            MacroKernel<TKernel>(shared, own, problem.C + (long)ic * problem.N + jc, problem.N, mc, nc, kc, pc > 0 || problem.Beta != 0f, alongRows: true, ref none);
        }
    }

    // M > N: shared B̃ chunks, each thread's own Ã bands.
    private sealed class SharedPackedBPlan(GemmProblem problem, float* first, float* second)
        : SharedPackingSchedule(Chunks(problem.N, SharedColumnChunk) * Chunks(problem.K, DepthBlock), Chunks(problem.M, BandPanels * TKernel.Rows), first, second)
    {
        private readonly int _depthBlocks = Chunks(problem.K, DepthBlock);

        private (int Column, int Columns, int Depth, int Depths) Step(int step)
        {
            int jc = step / _depthBlocks * SharedColumnChunk, pc = step % _depthBlocks * DepthBlock;
            return (jc, Math.Min(SharedColumnChunk, problem.N - jc), pc, Math.Min(DepthBlock, problem.K - pc));
        }

        protected override int PackUnits(int step) => Chunks(Chunks(Step(step).Columns, TKernel.Columns), PackUnitPanels);

        protected override void Pack(int step, int unit, float* shared)
        {
            var (jc, nc, pc, kc) = Step(step);
            int firstPanel = unit * PackUnitPanels;
            GemmPacking.PackB(problem.B, pc, kc, jc, nc, TKernel.Columns, firstPanel, Math.Min(PackUnitPanels, Chunks(nc, TKernel.Columns) - firstPanel), shared);
        }

        protected override void Compute(int step, int unit, float* shared, float* own)
        {
            var (jc, nc, pc, kc) = Step(step);
            int bandRows = BandPanels * TKernel.Rows;
            int ic = unit * bandRows, mc = Math.Min(bandRows, problem.M - ic);
            GemmPacking.PackA(problem.A, ic, mc, pc, kc, problem.Alpha, TKernel.Rows, own);
            bool accumulate = pc > 0 || problem.Beta != 0f;
            for (int block = 0; block < nc; block += ColumnBlock)
            {
                var none = GemmSourcePrefetcher.None;
                MacroKernel<TKernel>(own, shared + (long)block * kc, problem.C + (long)ic * problem.N + jc + block, problem.N, mc, Math.Min(ColumnBlock, nc - block), kc, accumulate, alongRows: true, ref none);
            }
        }
    }

    private static int Chunks(int length, int size) => (length + size - 1) / size;
}
