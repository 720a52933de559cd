// The 12×32 tile run for only its first rows (the last row panel of a product) against the whole
// tile: the same Ã and B̃ panels, every row count, odd depths, stored and accumulated; results
// must be the same bits (each element is the same chain of FMAs), and rows past the ones asked
// for untouched.
using SwitchNative.Devices.Cpu.Gemm;
using SwitchNative.Tests.Infrastructure;

namespace SwitchNative.Tests.Devices;

public sealed unsafe class TallMicroKernelRowsTests
{
    public static IEnumerable<object[]> Cases() =>
        from rows in Enumerable.Range(1, 12)
        from depth in new[] { 1, 3, 37, 512 }
        from accumulate in new[] { false, true }
        select new object[] { rows, depth, accumulate };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_the_twelve_row_tile_bit_for_bit(int rows, int depth, bool accumulate)
    {
        const int panelRows = 12, columns = 32, ldc = 40;
        var packedA = TestData.Uniform(depth * panelRows, seed: 41);
        var packedB = TestData.Uniform(depth * columns, seed: 42);
        var initial = TestData.Uniform(panelRows * ldc, seed: 43);
        var expected = (float[])initial.Clone();
        var actual = (float[])initial.Clone();
        fixed (float* a = packedA, b = packedB, whole = expected, part = actual)
        {
            TallMicroKernel512.Run(depth, a, b, whole, ldc, accumulate, GemmSourcePrefetch.None);
            TallMicroKernel512.RunRows(depth, a, b, part, ldc, rows, accumulate, GemmSourcePrefetch.None);
        }
        for (int i = 0; i < panelRows; i++)
            for (int j = 0; j < ldc; j++)
            {
                int index = i * ldc + j;
                // Rows it runs, columns of the tile: the 12-row tile's bits; anything else: as it was.
                float want = i < rows && j < columns ? expected[index] : initial[index];
                Assert.True(BitConverter.SingleToInt32Bits(want) == BitConverter.SingleToInt32Bits(actual[index]),
                    $"rows={rows} depth={depth} accumulate={accumulate} C[{i},{j}]: expected {want:R}, got {actual[index]:R}");
            }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(13)]
    public void Refuses_row_counts_it_does_not_run(int rows)
    {
        var buffer = new float[12 * 32];
        Assert.Throws<ArgumentOutOfRangeException>(() =>
        {
            fixed (float* pointer = buffer) TallMicroKernel512.RunRows(1, pointer, pointer, pointer, 32, rows, false, GemmSourcePrefetch.None);
        });
    }
}
