// Element-wise comparison with an absolute + relative tolerance: |actual − expected| ≤ abs + rel·|expected|.
// On failure the message names the worst element, so a broken kernel points at its index.
namespace SwitchNative.Tests.Infrastructure;

public static class Close
{
    /// <summary>Asserts every element is within <paramref name="absolute"/> + <paramref name="relative"/>·|expected|.</summary>
    public static void All(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double absolute, double relative, string what = "")
    {
        Assert.Equal(expected.Length, actual.Length);
        int worst = -1;
        double worstExcess = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double error = Math.Abs((double)actual[i] - expected[i]);
            double allowed = absolute + relative * Math.Abs(expected[i]);
            bool bothNaN = float.IsNaN(expected[i]) && float.IsNaN(actual[i]);
            bool sameInfinity = float.IsInfinity(expected[i]) && expected[i] == actual[i];
            if (bothNaN || sameInfinity) continue;
            if (!(error <= allowed) && (worst < 0 || error - allowed > worstExcess))
            {
                worst = i;
                worstExcess = double.IsNaN(error) ? double.PositiveInfinity : error - allowed;
            }
        }
        if (worst >= 0)
            Assert.Fail($"{what} element {worst} of {expected.Length}: expected {expected[worst]:R}, got {actual[worst]:R} (|error| {Math.Abs(actual[worst] - expected[worst]):E3} > {absolute:E1} + {relative:E1}·|expected|)");
    }

    /// <summary>Asserts two arrays have identical bits.</summary>
    public static void Bitwise(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what = "")
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
                Assert.Fail($"{what} element {i}: {expected[i]:R} and {actual[i]:R} differ in bits");
    }
}
