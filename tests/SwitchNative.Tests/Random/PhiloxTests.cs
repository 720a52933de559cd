// Philox4x32-10 against the published Random123 known-answer vectors (kat_vectors), and the
// distributions built on it against their moments and bounds.
using SwitchNative.Random;

namespace SwitchNative.Tests.Random;

public sealed class PhiloxTests
{
    [Theory]
    // counter (4 words), key (2 words), expected output (4 words): Random123 kat_vectors, philox4x32 10.
    [InlineData(0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u)]
    [InlineData(0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu)]
    [InlineData(0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u, 0xa4093822u, 0x299f31d0u, 0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u)]
    public void Matches_random123_known_answers(uint c0, uint c1, uint c2, uint c3, uint k0, uint k1, uint e0, uint e1, uint e2, uint e3)
    {
        Assert.Equal(new Block4(e0, e1, e2, e3), Philox4x32.Generate(new Block4(c0, c1, c2, c3), k0, k1));
    }

    [Fact]
    public void Uniform_has_the_right_mean_and_range()
    {
        const int count = 200_000;
        double sum = 0;
        for (int i = 0; i < count; i++)
        {
            float u = PhiloxDistributions.Uniform(7, 3, i);
            Assert.InRange(u, 0f, 0.99999995f);
            sum += u;
        }
        // Standard error of the mean is √(1/12)/√n ≈ 6.5e-4; allow 5 of them.
        Assert.InRange(sum / count, 0.5 - 3.3e-3, 0.5 + 3.3e-3);
    }

    [Fact]
    public void Normal_has_unit_variance_and_truncated_normal_stays_within_two_sigma()
    {
        const int count = 200_000;
        double sum = 0, sumSquares = 0, truncatedSquares = 0;
        for (int i = 0; i < count; i++)
        {
            double z = PhiloxDistributions.Normal(11, 0, i);
            sum += z;
            sumSquares += z * z;
            float t = PhiloxDistributions.TruncatedNormal(11, 0, i);
            Assert.InRange(t, -2f, 2f);
            truncatedSquares += (double)t * t;
        }
        Assert.InRange(sum / count, -0.012, 0.012);
        Assert.InRange(sumSquares / count, 0.98, 1.02);
        // Var of N(0,1) truncated at ±2: 1 − 2·2·φ(2)/(Φ(2) − Φ(−2)) = 0.7737.
        Assert.InRange(truncatedSquares / count, 0.7737 - 0.01, 0.7737 + 0.01);
    }

    [Fact]
    public void Streams_and_seeds_are_independent()
    {
        Assert.NotEqual(PhiloxDistributions.Uniform(1, 0, 5), PhiloxDistributions.Uniform(1, 1, 5));
        Assert.NotEqual(PhiloxDistributions.Uniform(1, 0, 5), PhiloxDistributions.Uniform(2, 0, 5));
        Assert.Equal(PhiloxDistributions.Normal(3, 4, 99), PhiloxDistributions.Normal(3, 4, 99));
    }
}
