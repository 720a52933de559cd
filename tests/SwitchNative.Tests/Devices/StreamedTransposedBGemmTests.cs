// The streamed-Bᵀ few-rows GEMM (C = A·Bᵀ with Bᵀ's rows read in place, C's tile held transposed,
// AVX-512) checked on its own against a double-precision product: row counts from its 48-row floor
// through each row-group split (48, 64, 107 = 64 + 48, 192 = 3 × 64), with the last rows on
// dot-product tiles (49 = 48 + 1, 56 = 48 + 8, 65 = 64 + 1, 86 = 64 + 22, 100 = 64 + 36, 150 = 128
// + 22) or padded (59 to 64: 11 past a vector; 80 = 48 + 32 at K = 440 and 54 and 88 at K = 390,
// where K is not whole 16-value steps); column counts below, at and past a tile, a 48-column chunk
// and a 2048-column block; depths at both ends of its range and off whole vectors; both β forms and
// 1 and 2 threads (which cut a product along columns, or along rows when it has more rows). Each
// element's sum is fixed by its row alone (one chain of FMAs over K, or a dot-product tile for the
// product's last rows), so a rectangle computed on its own must give the bits of the same elements
// in the whole product.
using System.Runtime.Intrinsics.X86;
using SwitchNative.Devices.Cpu;
using SwitchNative.Devices.Cpu.Gemm;
using SwitchNative.Tests.Infrastructure;

namespace SwitchNative.Tests.Devices;

public sealed unsafe class StreamedTransposedBGemmTests
{
    public static IEnumerable<object[]> Shapes() =>
        from shape in new (int M, int K, int N)[]
        {
            (48, 384, 1), (49, 400, 6), (54, 390, 47), (59, 512, 30), (48, 512, 48), (56, 416, 20), (64, 512, 100), (65, 512, 50),
            (80, 440, 53), (86, 400, 61), (88, 390, 60), (96, 2048, 20), (100, 512, 70), (107, 500, 130), (150, 384, 49),
            (192, 520, 2100),
        }
        from beta in new[] { 0f, 1f }
        from threads in new[] { 1, 2 }
        select new object[] { shape.M, shape.K, shape.N, beta, threads };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Matches_a_double_precision_product(int m, int k, int n, float beta, int threads) =>
        FewRowsPathCheck.MatchesExactProduct(m, k, n, beta, threads, wide: true, transposedB: true, seed: 61,
            problem => Assert.True(StreamedTransposedBGemm.Suits(problem), $"{m}×{k}×{n} should take the streamed-Bᵀ path"));

    [Theory]
    [InlineData(107, 500, 130, 16, 91, 5, 60)]   // rows in groups of 64 + 48, here from row 16 as 64 + 32
    [InlineData(64, 400, 2100, 0, 64, 2000, 100)] // columns across the 2048-column block
    [InlineData(150, 384, 49, 37, 50, 7, 41)]    // a ragged cut: padded rows, ragged tiles
    [InlineData(150, 512, 60, 112, 38, 3, 50)]   // 16 rows in a padded group, then the product's 22 dot-product rows
    public void A_rectangle_gives_its_elements_the_bits_of_the_whole_product(int m, int k, int n, int rowStart, int rowCount, int columnStart, int columnCount)
    {
        if (!Avx512F.IsSupported) return; // the path runs on AVX-512 only; PackedGemm never picks it otherwise
        var a = TestData.Uniform(m * k, seed: 62);
        var b = TestData.Uniform(n * k, seed: 63);
        var whole = new float[m * n];
        var part = new float[m * n];
        var packedA = new float[StreamedTransposedBGemm.PackedAFloats(m)];
        var transposedC = new float[StreamedBGemm.TransposedCFloats(m)];
        fixed (float* left = a, right = b, wholeC = whole, partC = part, panel = packedA, block = transposedC)
        {
            var problem = new GemmProblem(new GemmOperand(left, m, k, false), new GemmOperand(right, k, n, true), 1f, 0f, wholeC, m, n, k);
            StreamedTransposedBGemm.Run(new GemmRectangle(problem, 0, m, 0, n), null, panel, block);
            var partProblem = new GemmProblem(problem.A, problem.B, 1f, 0f, partC, m, n, k);
            StreamedTransposedBGemm.Run(new GemmRectangle(partProblem, rowStart, rowCount, columnStart, columnCount), null, panel, block);
        }
        for (int i = rowStart; i < rowStart + rowCount; i++)
            for (int j = columnStart; j < columnStart + columnCount; j++)
                Assert.True(BitConverter.SingleToInt32Bits(whole[i * n + j]) == BitConverter.SingleToInt32Bits(part[i * n + j]),
                    $"{m}×{k}×{n} element ({i}, {j}): whole {whole[i * n + j]:R}, rectangle {part[i * n + j]:R}");
    }

    [Theory]
    [InlineData(47, 512, false, true)]  // fewer rows: dot products
    [InlineData(64, 383, false, true)]  // shallower: dot products or packed
    [InlineData(64, 2049, false, true)] // deeper: one row group's Ã would not stay in L2
    [InlineData(64, 512, true, true)]   // a transposed A
    [InlineData(64, 512, false, false)] // a row-major B: StreamedBGemm
    public void Takes_only_the_products_it_was_measured_on(int m, int k, bool transposedA, bool transposedB)
    {
        const int n = 48;
        var a = new float[m * k];
        var b = new float[k * n];
        var c = new float[m * n];
        Assert.Throws<ArgumentException>(() =>
        {
            fixed (float* left = a, right = b, output = c)
            {
                var problem = new GemmProblem(new GemmOperand(left, m, k, transposedA), new GemmOperand(right, k, n, transposedB), 1f, 0f, output, m, n, k);
                Assert.False(StreamedTransposedBGemm.Suits(problem));
                StreamedTransposedBGemm.Run(new GemmRectangle(problem, 0, m, 0, n), null, output, output);
            }
        });
    }

    [Theory]
    [InlineData(64, 0)]
    [InlineData(64, 7)]
    [InlineData(16, 6)]
    [InlineData(65, 6)]
    public void A_tile_refuses_shapes_it_does_not_hold(int rows, int columns)
    {
        if (!Avx512F.IsSupported) return;
        var buffer = new float[64 * 16];
        Assert.Throws<ArgumentOutOfRangeException>(() =>
        {
            fixed (float* pointer = buffer)
                StreamedTransposedBKernel.Run(rows, 16, pointer, pointer, 16, columns, null, 0, pointer);
        });
    }
}
