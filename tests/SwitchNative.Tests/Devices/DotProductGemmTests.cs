// The dot-product few-rows GEMM (C = A·Bᵀ with both operands' rows read in place) checked on its
// own against a double-precision product, for both tiles (AVX-512's 4×6 and AVX2 + FMA's 3×4)
// wherever the machine runs them: row counts around the tiles' rows and up to the few-rows limit,
// column counts around their columns, depths around their 16- and 8-value steps (whole, with a
// tail, shallow enough that only few rows take this path), both β forms and 1 and 2 threads. A
// tile must give every element the same bits wherever the element lies, so a ragged tile is
// checked against a whole one bit for bit (CpuDeterminismTests checks whole products, tails
// included, across thread counts). On AVX-512 the products of 48 rows or more with a K of
// 384–2048 run on StreamedTransposedBGemm instead (still checked here against the exact product);
// (40, 2100, 30) keeps a many-row AVX-512 product on this path.
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
            (1, 64, 1), (1, 100, 7), (3, 65, 6), (4, 64, 12), (5, 79, 13), (8, 64, 96), (16, 130, 37),
            (25, 200, 100), (40, 320, 70), (65, 384, 50), (100, 400, 31), (192, 513, 20), (33, 390, 700),
            (40, 2100, 30), (24, 2049, 13),
        }
        from beta in new[] { 0f, 1f }
        from threads in new[] { 1, 2 }
        from wide in new[] { true, false }
        select new object[] { shape.M, shape.K, shape.N, beta, threads, wide };


    [Theory]
    [MemberData(nameof(Shapes))]
    // wide: the AVX-512 tile (4×6), else the AVX2 + FMA one (3×4).
    public void Matches_a_double_precision_product(int m, int k, int n, float beta, int threads, bool wide) =>
        FewRowsPathCheck.MatchesExactProduct(m, k, n, beta, threads, wide, transposedB: true, seed: 51,
            problem => Assert.True(DotProductGemm.Suits(problem), $"{m}×{k}×{n} should take the dot-product path"));

    [Theory]
    [InlineData(16, true)]
    [InlineData(48, true)]
    [InlineData(512, true)]
    [InlineData(8, false)]
    [InlineData(40, false)]
    [InlineData(512, false)]
    public void A_ragged_tile_gives_each_element_the_bits_of_a_whole_one(int depth, bool wide)
    {
        if (!Supported(wide))
        {
            // Nothing reaches the tile without its instructions: its path refuses to be switched on.
            using var parallel = new CpuParallel(1);
            Assert.Throws<ArgumentException>(() => new PackedGemm<MicroKernel256, MicroKernel256>(parallel, wide ? GemmFewRowsPath.StreamedVector512 : GemmFewRowsPath.StreamedVector256));
            return;
        }
        if (wide) RaggedAgainstWhole<DotProductKernel512>(depth);
        else RaggedAgainstWhole<DotProductKernel256>(depth);
    }

    private static void RaggedAgainstWhole<TKernel>(int depth) where TKernel : struct, IDotProductKernel
    {
        int rows = TKernel.Rows, columns = TKernel.Columns;
        var a = TestData.Uniform(rows * depth, seed: 54);
        var b = TestData.Uniform(columns * depth, seed: 55);
        var whole = new float[rows * columns];
        var single = new float[1];
        fixed (float* left = a, right = b, tile = whole, element = single)
        {
            TKernel.Run(depth, left, depth, rows, right, depth, columns, 1f, false, tile, columns, null, 0);
            for (int i = 0; i < rows; i++)
                for (int j = 0; j < columns; j++)
                {
                    // The element alone, as a 1 × 1 tile, accumulated onto zero.
                    *element = 0f;
                    TKernel.Run(depth, left + i * depth, depth, 1, right + j * depth, depth, 1, 1f, true, element, 1, null, 0);
                    Assert.True(BitConverter.SingleToInt32Bits(whole[i * columns + j]) == BitConverter.SingleToInt32Bits(*element),
                        $"{typeof(TKernel).Name} depth {depth} element ({i}, {j}): whole tile {whole[i * columns + j]:R}, alone {*element:R}");
                }
        }
    }

    private static bool Supported(bool wide) => wide ? Avx512F.IsSupported : Avx2.IsSupported && Fma.IsSupported;

    [Theory]
    [InlineData(0, 6, 16, true)]
    [InlineData(5, 6, 16, true)]
    [InlineData(4, 0, 16, true)]
    [InlineData(4, 7, 16, true)]
    [InlineData(4, 6, 0, true)]
    [InlineData(4, 6, 37, true)] // the tails past whole steps are DotProductGemm's to add
    [InlineData(4, 4, 8, false)]
    [InlineData(3, 5, 8, false)]
    [InlineData(3, 4, 12, false)]
    public void Refuses_tiles_it_does_not_hold(int rows, int columns, int depth, bool wide)
    {
        var buffer = new float[64];
        Assert.Throws<ArgumentOutOfRangeException>(() =>
        {
            fixed (float* pointer = buffer)
            {
                if (wide) DotProductKernel512.Run(depth, pointer, 16, rows, pointer, 16, columns, 1f, false, pointer, 6, null, 0);
                else DotProductKernel256.Run(depth, pointer, 8, rows, pointer, 8, columns, 1f, false, pointer, 4, null, 0);
            }
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
                DotProductGemm.Run<DotProductKernel512>(new GemmRectangle(problem, 0, m, 0, n), null);
            }
        });
    }
}
