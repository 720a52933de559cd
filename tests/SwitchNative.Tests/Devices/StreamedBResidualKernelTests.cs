// The streamed-B residual kernel's 2×128 tile against its 2×32 tile over the same four 32-column
// pieces: each element is one chain of FMAs in order of p in both, so the bits must agree, from
// zero and accumulated onto a block, at depths off whole vectors and with B's rows a stride apart.
using System.Runtime.Intrinsics.X86;
using SwitchNative.Devices.Cpu.Gemm;

namespace SwitchNative.Tests.Devices;

public sealed unsafe class StreamedBResidualKernelTests
{
    [Theory]
    [InlineData(1, false)]
    [InlineData(37, false)]
    [InlineData(64, true)]
    public void Two_row_wide_tile_gives_the_narrow_tiles_bits(int depth, bool accumulate)
    {
        if (!Avx512F.IsSupported) return; // the residual kernel is AVX-512 only; StreamedBGemm never runs it otherwise
        const int rowStride = 300, outputStride = 160, width = StreamedBResidualKernel.TwoRowColumns;
        var random = new System.Random(5);
        var a = Enumerable.Range(0, 2 * depth).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var b = Enumerable.Range(0, depth * rowStride).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var start = Enumerable.Range(0, 2 * outputStride).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var wide = (float[])start.Clone();
        var narrow = (float[])start.Clone();
        fixed (float* pa = a, pb = b, pw = wide, pn = narrow)
        {
            StreamedBResidualKernel.RunTwoRows(depth, pa, pb + 3, rowStride, 0, pw + 5, outputStride, accumulate);
            for (int j = 0; j < width; j += StreamedBResidualKernel.Columns)
                StreamedBResidualKernel.Run<ResidualRows2>(depth, pa, pb + 3 + j, rowStride, 0, pn + 5 + j, outputStride, accumulate);
        }
        Assert.Equal(narrow, wide);
        Assert.NotEqual(start[5], wide[5]);
    }
}
