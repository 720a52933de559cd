// The tiles that copy the next Ã micro-panel from A's rows (GemmPanelCopy.cs): the copy must
// put exactly what PackA puts in the panel, the copying tile must compute the same bits as the
// plain one and copy one step every StepsPerCopy of its own, and whole products on the paths
// that copy must match the reference.
using SwitchNative.Devices;
using SwitchNative.Devices.Cpu;
using SwitchNative.Devices.Cpu.Gemm;
using SwitchNative.Devices.Reference;
using SwitchNative.Tests.Infrastructure;

namespace SwitchNative.Tests.Devices;

public sealed unsafe class PanelCopyTests
{
    [Theory]
    [InlineData(1, 12)]
    [InlineData(37, 40)]
    [InlineData(512, 1030)]
    public void Copied_panel_equals_the_packed_panel(int depth, int rowStride)
    {
        const int rows = GemmPanelCopy.Rows, firstDepth = 3;
        var a = TestData.Uniform(rows * rowStride, seed: 21);
        var packed = new float[rows * depth];
        var copied = new float[rows * depth + 1];
        copied[^1] = 7f; // a sentinel just past the panel
        fixed (float* source = a, target = packed, copy = copied)
        {
            GemmPacking.PackA(new GemmOperand(source, rows, rowStride, transposed: false), 0, rows, firstDepth, depth, 1f, rows, target);
            new GemmPanelCopy(source + firstDepth, rowStride, copy, depth).Finish();
        }
        Close.Bitwise(packed, copied.AsSpan(0, packed.Length), $"panel of depth {depth}, rows {rowStride} apart");
        Assert.Equal(7f, copied[^1]);
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(37, true)]
    [InlineData(512, false)]
    public void Copying_tile_gives_the_plain_tiles_bits_and_copies_one_step_in_eight(int depth, bool accumulate)
    {
        const int rows = 12, columns = 32, ldc = 40, rowStride = 600;
        var packedA = TestData.Uniform(depth * rows, seed: 31);
        var packedB = TestData.Uniform(depth * columns, seed: 32);
        var initial = TestData.Uniform(rows * ldc, seed: 33);
        var source = TestData.Uniform(rows * rowStride, seed: 34);
        var plain = (float[])initial.Clone();
        var copying = (float[])initial.Clone();
        var nextPanel = new float[rows * rowStride];
        int copied = depth / GemmPanelCopy.StepsPerCopy;
        fixed (float* a = packedA, b = packedB, c = plain, d = copying, s = source, next = nextPanel)
        {
            TallMicroKernel512.Run(depth, a, b, c, ldc, accumulate, GemmSourcePrefetch.None);
            var copy = new GemmPanelCopy(s, rowStride, next, rowStride);
            TallMicroKernel512.RunCopying(depth, a, b, d, ldc, accumulate, ref copy);
            Assert.Equal(rowStride - copied, copy.Steps);
            Assert.True(copy.Source == s + copied && copy.Target == next + copied * rows, "the copy's cursor did not advance by the steps copied");
        }
        Close.Bitwise(plain, copying, $"12×32 tile, depth {depth}, accumulate {accumulate}");
        for (int p = 0; p < rowStride; p++)
            for (int i = 0; i < rows; i++)
                Assert.Equal(p < copied ? source[i * rowStride + p] : 0f, nextPanel[p * rows + i]);
    }

    // Products whose tiles copy Ã: on 1 thread, N ≥ M runs RunManyRows and M > N > 512 the
    // shared-B̃ bands; on 2, N > 512 runs a row rectangle a thread. (200, 515, 230): 16 whole
    // panels and a ragged one of 8 rows, 7 whole column tiles and one of 6 (so each row's tiles
    // leave part of the next panel to copy after them), a last depth block of 3 (shorter than a
    // copy's spacing). (205, 40, 1000): one row past 17 panels, four column blocks. (216, 1030,
    // 300): every panel whole. (700, 600, 530): bands of 96 rows, the last of 28 (two panels and
    // a ragged one). (3125, 24, 3130): on 1 thread two row chunks of Ã, 3072 rows and 53, so the
    // second chunk packs its own first two panels and ragged one and copies two. α = 0.5 packs Ã
    // first instead; β = 1 adds into C.
    public static IEnumerable<object[]> Products() =>
        from shape in new[] { (200, 515, 230), (205, 40, 1000), (216, 1030, 300), (700, 600, 530), (3125, 24, 3130) }
        from threads in new[] { 1, 2 }
        from scaling in new[] { (1f, 0f), (0.5f, 1f) }
        select new object[] { shape.Item1, shape.Item2, shape.Item3, threads, scaling.Item1, scaling.Item2 };

    [Theory]
    [MemberData(nameof(Products))]
    public void Products_that_copy_panels_in_their_tiles_match_the_reference(int m, int k, int n, int threads, float alpha, float beta)
    {
        var a = TestData.Uniform(m * k, seed: 41);
        var b = TestData.Uniform(k * n, seed: 42);
        var c = TestData.Uniform(m * n, seed: 43);
        float[] Run(IDevice device, float[] left, float[] right, float scale, float addend)
        {
            using var leftTensor = device.FromArray<float>(left, [m, k]);
            using var rightTensor = device.FromArray<float>(right, [k, n]);
            using var product = device.FromArray<float>(c, [m, n]);
            device.Gemm(leftTensor, false, rightTensor, false, scale, addend, product);
            return device.ToArray(product);
        }
        using var reference = new ReferenceDevice();
        using var cpu = new CpuDevice(threads);
        // Any order of float32 sums of K products errs by at most K·u·Σ|a||b| (u = 2⁻²⁴), plus the
        // rounding of α·… + β·c; a panel copied from the wrong rows or depths errs by about √K/3.
        double largestMagnitude = Run(reference, a.Select(Math.Abs).ToArray(), b.Select(Math.Abs).ToArray(), 1f, 0f).Max();
        double tolerance = 1e-5 + k * Math.Abs(alpha) * largestMagnitude / (1 << 24);
        Close.All(Run(reference, a, b, alpha, beta), Run(cpu, a, b, alpha, beta), tolerance, 0, $"GEMM {m}×{k}×{n} on {threads} threads, α={alpha} β={beta}");
    }
}
