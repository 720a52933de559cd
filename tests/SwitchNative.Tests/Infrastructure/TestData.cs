// Deterministic test inputs from System.Random with a fixed seed per call site.
namespace SwitchNative.Tests.Infrastructure;

public static class TestData
{
    /// <summary>Values uniform in [low, high).</summary>
    public static float[] Uniform(int count, int seed, float low = -1f, float high = 1f)
    {
        var random = new System.Random(seed);
        var values = new float[count];
        for (int i = 0; i < count; i++) values[i] = low + (high - low) * (float)random.NextDouble();
        return values;
    }

    /// <summary>Values uniform in ±[gap, 1): kept away from a kink at 0 so finite differences do not straddle it.</summary>
    public static float[] AwayFromZero(int count, int seed, float gap = 0.05f)
    {
        var random = new System.Random(seed);
        var values = new float[count];
        for (int i = 0; i < count; i++) values[i] = (random.Next(2) == 0 ? -1 : 1) * (gap + (1 - gap) * (float)random.NextDouble());
        return values;
    }

    /// <summary>Integers uniform in [0, bound).</summary>
    public static int[] Integers(int count, int seed, int bound)
    {
        var random = new System.Random(seed);
        var values = new int[count];
        for (int i = 0; i < count; i++) values[i] = random.Next(bound);
        return values;
    }
}
