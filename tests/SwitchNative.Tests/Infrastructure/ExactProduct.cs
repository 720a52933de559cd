// The exact value of a float32 GEMM, C = α·A·op(B) + β·C, summed in double, with the bound a float32
// sum of K products keeps to: within γ_K·Σ|terms| (γ_K ≈ K·u, u = 2⁻²⁴) of the exact value, in any
// order of summation. The kernel tests that drive PackedGemm's paths directly check against it.
namespace SwitchNative.Tests.Infrastructure;

/// <summary>α·A·op(B) + β·C in double, element by element, and the float32 error bound around it.</summary>
public sealed class ExactProduct
{
    private const double UnitRoundoff = 1.0 / (1 << 24);
    private readonly double[] _values;
    private readonly double[] _magnitudes;
    private readonly int _depth;

    /// <param name="a">A, row-major [m, k].</param>
    /// <param name="b">B row-major [k, n], or, when <paramref name="transposedB"/>, Bᵀ row-major [n, k].</param>
    /// <param name="c">C before the product (read only when β ≠ 0).</param>
    public ExactProduct(float[] a, float[] b, bool transposedB, float[] c, int m, int k, int n, float alpha, float beta)
    {
        _depth = k;
        _values = new double[m * n];
        _magnitudes = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double sum = 0, absolute = 0;
                for (int p = 0; p < k; p++)
                {
                    double term = (double)a[i * k + p] * (transposedB ? b[j * k + p] : b[p * n + j]);
                    sum += term;
                    absolute += Math.Abs(term);
                }
                _values[i * n + j] = alpha * sum + (beta == 0f ? 0 : beta * (double)c[i * n + j]);
                _magnitudes[i * n + j] = Math.Abs(alpha) * absolute + (beta == 0f ? 0 : Math.Abs(c[i * n + j]));
            }
    }

    /// <summary>Asserts every element of <paramref name="actual"/> is within the float32 bound (plus 10⁻⁶ absolute) of the exact value.</summary>
    public void AssertWithinRounding(float[] actual, string what)
    {
        for (int i = 0; i < _values.Length; i++)
        {
            double allowed = 1e-6 + (_depth + 2) * UnitRoundoff * _magnitudes[i];
            Assert.True(Math.Abs(_values[i] - actual[i]) <= allowed, $"{what} element {i}: expected {_values[i]:R}, got {actual[i]:R}, allowed {allowed:E2}");
        }
    }
}
