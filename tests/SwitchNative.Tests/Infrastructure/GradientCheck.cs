// Central finite differences against an analytic gradient. The forward runs in float32 on the
// device under test; the scalar loss L = Σ wᵢ·yᵢ is summed in double, so the only float error
// in (L(x + h) − L(x − h))/2h is the forward's own rounding, O(u·|y|/h) ≈ 1e-4 relative for
// h = 1e-3 — well inside the stated tolerance, while a wrong term in a backward is O(1).
namespace SwitchNative.Tests.Infrastructure;

public static class GradientCheck
{
    /// <summary>Step of the central difference.</summary>
    public const float Step = 1e-3f;

    /// <summary>L(y) = Σ wᵢ·yᵢ in double.</summary>
    public static double WeightedSum(ReadOnlySpan<float> y, ReadOnlySpan<float> weights)
    {
        double sum = 0;
        for (int i = 0; i < y.Length; i++) sum += (double)y[i] * weights[i];
        return sum;
    }

    /// <summary>
    /// Checks <paramref name="analytic"/>[i] ≈ (L(x + h·eᵢ) − L(x − h·eᵢ)) / 2h for up to
    /// <paramref name="samples"/> coordinates i of <paramref name="input"/> (which is restored).
    /// </summary>
    public static void Check(float[] input, Func<double> loss, Action upload, ReadOnlySpan<float> analytic, string what,
        int samples = 24, double absolute = 2e-3, double relative = 2e-2)
    {
        var random = new System.Random(1234);
        int count = Math.Min(samples, input.Length);
        var indices = input.Length <= samples ? Enumerable.Range(0, input.Length).ToArray() : Enumerable.Range(0, count).Select(_ => random.Next(input.Length)).ToArray();
        foreach (int i in indices)
        {
            float original = input[i];
            input[i] = original + Step;
            upload();
            double plus = loss();
            input[i] = original - Step;
            upload();
            double minus = loss();
            input[i] = original;
            upload();
            double numeric = (plus - minus) / (2 * Step);
            double error = Math.Abs(numeric - analytic[i]);
            Assert.True(error <= absolute + relative * Math.Abs(numeric),
                $"{what}: d/dx[{i}] analytic {analytic[i]:G6}, finite difference {numeric:G6} (|error| {error:E2})");
        }
    }
}
