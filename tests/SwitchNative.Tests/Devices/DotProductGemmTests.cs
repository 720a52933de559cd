// The dot-product few-rows GEMM (C = A·Bᵀ with both operands' rows read in place, AVX-512)
// checked on its own against a double-precision product: row counts around its 4-row tiles and
// up to the few-rows limit, column counts around its 6-column tiles, depths around its 16-value
// steps (whole, with a tail, shallow enough that only few rows take this path), both β forms and
// 1 and 2 threads. Its tile must give every element the same bits wherever the element lies, so
// a ragged tile is checked against a whole one bit for bit (CpuDeterminismTests checks whole
// products, tails included, across thread counts).
using System.Runtime.Intrinsics.X86;
using SwitchNative.Devices.Cpu;
using SwitchNative.Devices.Cpu.Gemm;
using SwitchNative.Tests.Infrastructure;

namespace SwitchNative.Tests.Devices;

public sealed unsafe class DotProductGemmTests
{
    public static IEnumerable<object[]> Shapes() =>
        from shape in new (int M, int K, int N)[]
        {
            (1, 64, 1), (1, 100, 7), (3, 65, 6), (4, 64, 12), (5, 79, 13), (17, 130, 37), (64, 64, 96),
            (64, 200, 100), (65, 384, 50), (100, 400, 31), (192, 513, 20), (33, 390, 700),
        }
        from beta in new[] { 0f, 1f }
        from threads in new[] { 1, 2 }
        select new object[] { shape.M, shape.K, shape.N, beta, threads };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Matches_a_double_precision_product(int m, int k, int n, float beta, int threads)
    {
        using var parallel = new CpuParallel(threads);
        if (!Avx512F.IsSupported)
        {
            // Without AVX-512 the path that holds it must refuse to be switched on.
            Assert.Throws<ArgumentException>(() => new PackedGemm<MicroKernel256, MicroKernel256>(parallel, GemmFewRowsPath.StreamedVector512));
            return;
        }
        using var gemm = new PackedGemm<TallMicroKernel512, MicroKernel512>(parallel, GemmFewRowsPath.StreamedVector512);
        var a = TestData.Uniform(m * k, seed: 51);
        var bTransposed = TestData.Uniform(n * k, seed: 52);
        // β = 0 must ignore what C holds, NaN included.
        var c = beta == 0f ? Enumerable.Repeat(float.NaN, m * n).ToArray() : TestData.Uniform(m * n, seed: 53);
        const float alpha = 1.5f;
        var exact = new ExactProduct(a, bTransposed, transposedB: true, c, m, k, n, alpha, beta);
        fixed (float* left = a, right = bTransposed, output = c)
        {
            var problem = new GemmProblem(new GemmOperand(left, m, k, false), new GemmOperand(right, k, n, true), alpha, beta, output, m, n, k);
            Assert.True(DotProductGemm.Suits(problem), $"{m}×{k}×{n} should take the dot-product path");
            gemm.RunBatch([problem]);
        }
        exact.AssertWithinRounding(c, $"{m}×{k}×{n} β={beta}");
    }

    [Theory]
    [InlineData(16)]
    [InlineData(48)]
    [InlineData(512)]
    public void A_ragged_tile_gives_each_element_the_bits_of_a_whole_one(int depth)
    {
        if (!Avx512F.IsSupported)
        {
            // The kernel needs AVX-512, and nothing reaches it without: its path refuses to be switched on.
            using var parallel = new CpuParallel(1);
            Assert.Throws<ArgumentException>(() => new PackedGemm<MicroKernel256, MicroKernel256>(parallel, GemmFewRowsPath.StreamedVector512));
            return;
        }
        const int rows = DotProductKernel512.Rows, columns = DotProductKernel512.Columns;
        var a = TestData.Uniform(rows * depth, seed: 54);
        var b = TestData.Uniform(columns * depth, seed: 55);
        var whole = new float[rows * columns];
        var single = new float[1];
        fixed (float* left = a, right = b, tile = whole, element = single)
        {
            DotProductKernel512.Run(depth, left, depth, rows, right, depth, columns, 1f, false, tile, columns, null, 0);
            for (int i = 0; i < rows; i++)
                for (int j = 0; j < columns; j++)
                {
                    // The element alone, as a 1 × 1 tile, accumulated onto zero.
                    *element = 0f;
                    DotProductKernel512.Run(depth, left + i * depth, depth, 1, right + j * depth, depth, 1, 1f, true, element, 1, null, 0);
                    Assert.True(BitConverter.SingleToInt32Bits(whole[i * columns + j]) == BitConverter.SingleToInt32Bits(*element),
                        $"depth {depth} element ({i}, {j}): whole tile {whole[i * columns + j]:R}, alone {*element:R}");
                }
        }
    }

    [Theory]
    [InlineData(0, 6, 16)]
    [InlineData(5, 6, 16)]
    [InlineData(4, 0, 16)]
    [InlineData(4, 7, 16)]
    [InlineData(4, 6, 0)]
    [InlineData(4, 6, 37)] // the tails past whole steps are DotProductGemm's to add
    public void Refuses_tiles_it_does_not_hold(int rows, int columns, int depth)
    {
        var buffer = new float[64];
        Assert.Throws<ArgumentOutOfRangeException>(() =>
        {
            fixed (float* pointer = buffer) DotProductKernel512.Run(depth, pointer, 16, rows, pointer, 16, columns, 1f, false, pointer, 6, null, 0);
        });
    }

    [Fact]
    public void Refuses_more_rows_than_its_tails_buffer_holds()
    {
        const int m = DotProductGemm.MaximumRows + 1, k = 384, n = 6;
        var a = new float[m * k];
        var b = new float[n * k];
        var c = new float[m * n];
        Assert.Throws<ArgumentException>(() =>
        {
            fixed (float* left = a, right = b, output = c)
            {
                var problem = new GemmProblem(new GemmOperand(left, m, k, false), new GemmOperand(right, k, n, true), 1f, 0f, output, m, n, k);
                DotProductGemm.Run(new GemmRectangle(problem, 0, m, 0, n), null);
            }
        });
    }
}
