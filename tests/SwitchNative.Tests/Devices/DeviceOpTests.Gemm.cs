// GEMM on awkward shapes, all four transpose forms, α/β variants, against the reference and
// against MathNet.Numerics as an independent oracle.
using MathNet.Numerics.LinearAlgebra;
using SwitchNative.Devices;
using SwitchNative.Tensors;
using SwitchNative.Tests.Infrastructure;

namespace SwitchNative.Tests.Devices;

public abstract partial class DeviceOpTests
{
    // Sizes off the vector (4/8/16) and tile (12×32, 8×32, 6×16, 4×8) widths, K > M, 1×N, M×1, empty.
    public static readonly (int M, int K, int N)[] GemmShapes =
    [
        (1, 1, 1), (1, 7, 1), (1, 64, 300), (300, 64, 1), (5, 300, 7), (17, 33, 65), (8, 256, 32),
        (9, 257, 33), (6, 16, 16), (100, 600, 50), (64, 1000, 48), (200, 100, 300), (33, 513, 31), (0, 5, 3), (3, 0, 4), (4, 5, 0),
        // The many-rows arrangement of the CPU GEMM: more rows than one row block (ragged last tile),
        // three depth blocks of 512 (the last of 6), two column blocks of 512 (the last ragged);
        // and more rows than one packed chunk of A (3072 rows at 12-row tiles, 2048 at 8).
        (197, 1030, 520), (3085, 20, 37),
        // Many rows and at most 512 columns, where the AVX-512 tiles pack A and B as they read them:
        // a ragged last row panel (653 = 54·12 + 5) and column tile (200 = 6·32 + 8), three depth
        // blocks (512, 512, 76); exactly 512 columns, every tile whole; and 300 columns, whose
        // second column block of 256 is one whole tile and a ragged one (12 columns).
        (653, 1100, 200), (250, 70, 512), (400, 600, 300),
        // The streamed few-rows path (AVX-512, row-major B): row groups of 48 + 32, of 64 + 64 + 32
        // with ragged tiles of every kernel width, and more columns than one transposed block.
        (80, 70, 200), (150, 130, 530), (20, 10, 2100),
    ];

    public static IEnumerable<object[]> GemmCases() =>
        from shape in GemmShapes
        from transposeA in new[] { false, true }
        from transposeB in new[] { false, true }
        select new object[] { shape.M, shape.K, shape.N, transposeA, transposeB };

    /// <summary>
    /// Tolerance: a float32 sum of K products has error ≤ γ_K·Σ|a||b| with γ_K ≈ K·u (u = 2⁻²⁴);
    /// we allow K·u·Σ|a||b| per element plus 1e-6, a bound that holds for any summation order.
    /// </summary>
    private static void AssertGemmClose(float[] expected, float[] actual, float[] magnitude, int k, string what)
    {
        const double unitRoundoff = 1.0 / (1 << 24);
        for (int i = 0; i < expected.Length; i++)
        {
            double allowed = 1e-6 + Math.Max(k, 1) * unitRoundoff * magnitude[i] + 1e-6 * Math.Abs(expected[i]);
            Assert.True(Math.Abs(expected[i] - actual[i]) <= allowed, $"{what} element {i}: expected {expected[i]:R}, got {actual[i]:R}, allowed {allowed:E2}");
        }
    }

    private float[] RunGemm(IDevice device, float[] a, int[] aShape, bool transposeA, float[] b, int[] bShape, bool transposeB, float alpha, float beta, float[] c, int m, int n)
    {
        using var left = device.FromArray<float>(a, aShape);
        using var right = device.FromArray<float>(b, bShape);
        using var product = device.FromArray<float>(c, [m, n]);
        device.Gemm(left, transposeA, right, transposeB, alpha, beta, product);
        return device.ToArray(product);
    }

    [Theory]
    [MemberData(nameof(GemmCases))]
    public void Gemm_matches_reference(int m, int k, int n, bool transposeA, bool transposeB)
    {
        int[] aShape = transposeA ? [k, m] : [m, k];
        int[] bShape = transposeB ? [n, k] : [k, n];
        var a = TestData.Uniform(m * k, seed: 11);
        var b = TestData.Uniform(k * n, seed: 12);
        var c = TestData.Uniform(m * n, seed: 13);
        var magnitude = RunGemm(Oracle, a.Select(Math.Abs).ToArray(), aShape, transposeA, b.Select(Math.Abs).ToArray(), bShape, transposeB, 1f, 0f, new float[m * n], m, n);
        foreach (var (alpha, beta) in new[] { (1f, 0f), (0.5f, 1f), (-2f, -1.5f) })
        {
            var expected = RunGemm(Oracle, a, aShape, transposeA, b, bShape, transposeB, alpha, beta, c, m, n);
            var actual = RunGemm(Device, a, aShape, transposeA, b, bShape, transposeB, alpha, beta, c, m, n);
            var scaled = magnitude.Select((value, i) => Math.Abs(alpha) * value + Math.Abs(beta * c[i])).ToArray();
            AssertGemmClose(expected, actual, scaled, k, $"GEMM {m}×{k}×{n} tA={transposeA} tB={transposeB} α={alpha} β={beta}");
        }
    }

    [Fact]
    public void Gemm_with_beta_zero_ignores_nan_in_c()
    {
        var a = TestData.Uniform(20 * 30, seed: 1);
        var b = TestData.Uniform(30 * 40, seed: 2);
        var c = Enumerable.Repeat(float.NaN, 20 * 40).ToArray();
        var result = RunGemm(Device, a, [20, 30], false, b, [30, 40], false, 1f, 0f, c, 20, 40);
        Assert.All(result, value => Assert.False(float.IsNaN(value)));
    }

    [Theory]
    [InlineData(130, 70, 90, false, false)]
    [InlineData(64, 200, 129, true, false)]
    [InlineData(97, 31, 256, false, true)]
    [InlineData(45, 300, 47, true, true)]
    public void Gemm_matches_mathnet(int m, int k, int n, bool transposeA, bool transposeB)
    {
        int[] aShape = transposeA ? [k, m] : [m, k];
        int[] bShape = transposeB ? [n, k] : [k, n];
        var a = TestData.Uniform(m * k, seed: 21);
        var b = TestData.Uniform(k * n, seed: 22);
        var storedA = Matrix<double>.Build.DenseOfRowMajor(aShape[0], aShape[1], a.Select(x => (double)x));
        var storedB = Matrix<double>.Build.DenseOfRowMajor(bShape[0], bShape[1], b.Select(x => (double)x));
        var product = (transposeA ? storedA.Transpose() : storedA) * (transposeB ? storedB.Transpose() : storedB);
        var expected = product.ToRowMajorArray().Select(x => (float)x).ToArray();
        var magnitude = ((transposeA ? storedA.Transpose() : storedA).PointwiseAbs() * (transposeB ? storedB.Transpose() : storedB).PointwiseAbs())
            .ToRowMajorArray().Select(x => (float)x).ToArray();
        var actual = RunGemm(Device, a, aShape, transposeA, b, bShape, transposeB, 1f, 0f, new float[m * n], m, n);
        AssertGemmClose(expected, actual, magnitude, k, $"GEMM vs MathNet {m}×{k}×{n}");
    }
}
