// The prefetch cursor of the GEMM: prefetches never change results, so what can go wrong is
// the cursor naming the wrong lines (wasted bandwidth) or too many per call. These tests walk
// it the way the micro-kernels do and check the exact line sequence.
using SwitchNative.Devices.Cpu.Gemm;

namespace SwitchNative.Tests.Devices;

public sealed unsafe class GemmSourcePrefetcherTests
{
    // Every line address the micro-kernel calls would request, in order (the cursor is a
    // struct the GEMM keeps in a local and passes by reference, as here).
    private static List<long> Walk(ref GemmSourcePrefetcher prefetcher, int calls, float* origin)
    {
        var lines = new List<long>();
        for (int call = 0; call < calls; call++)
        {
            var prefetch = prefetcher.Next();
            float* row = prefetch.Row;
            int line = prefetch.Line, count = prefetch.Count;
            Assert.InRange(count, 0, 256 / GemmSourcePrefetch.StepsPerLine);
            while (count > 0)
            {
                lines.Add((row + line * GemmSourcePrefetch.FloatsPerLine) - origin);
                GemmSourcePrefetch.Issue(ref row, prefetch.Stride, prefetch.LinesPerRow, ref line, ref count);
            }
        }
        return lines;
    }

    [Theory]
    [InlineData(false, 256, 512, 128)] // an expert's 256 × 512 block of row-major weights over 128 calls
    [InlineData(false, 7, 40, 3)]      // ragged rows (40 floats = 3 lines) and few calls
    [InlineData(true, 100, 96, 17)]    // transposed B: 96 stored rows of 100 floats
    public void Names_each_line_of_the_block_once_in_row_order(bool transposed, int depth, int columns, int calls)
    {
        const int storedColumns = 1000;
        float* origin = (float*)0x10000; // never dereferenced: only addresses are compared
        var operand = transposed ? new GemmOperand(origin, storedColumns, 5000, transposed: true) : new GemmOperand(origin, 5000, storedColumns, transposed: false);
        int depthStart = 3, columnStart = 64;
        var prefetcher = GemmSourcePrefetcher.ForB(operand, depthStart, depth, columnStart, columns, calls, kernelDepth: 256);

        // Expected: the stored rows behind the block, each from its first float, one line per 16 floats.
        int rows = transposed ? columns : depth, rowLength = transposed ? depth : columns;
        long firstRow = transposed ? (long)columnStart * storedColumns + depthStart : (long)depthStart * storedColumns + columnStart;
        var expected = new List<long>();
        for (int row = 0; row < rows; row++)
            for (int line = 0; line < (rowLength + 15) / 16; line++)
                expected.Add(firstRow + (long)row * storedColumns + line * 16);

        Assert.Equal(expected, Walk(ref prefetcher, calls, origin));
        Assert.Empty(Walk(ref prefetcher, 5, origin)); // nothing left after the block
    }

    [Fact]
    public void Caps_each_call_at_one_line_per_four_steps_and_drops_the_rest()
    {
        float* origin = (float*)0x10000;
        var operand = new GemmOperand(origin, 64, 1024, transposed: false);
        // 64 rows × 64 lines = 4096 lines over 2 calls of 32 steps: 8 lines each, 16 in all.
        var prefetcher = GemmSourcePrefetcher.ForB(operand, 0, 64, 0, 1024, calls: 2, kernelDepth: 32);
        var lines = Walk(ref prefetcher, 2, origin);
        Assert.Equal(Enumerable.Range(0, 16).Select(line => (long)line * 16), lines);
    }

    [Fact]
    public void None_requests_nothing()
    {
        var none = GemmSourcePrefetcher.None;
        Assert.Empty(Walk(ref none, 3, null));
    }
}
