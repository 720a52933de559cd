// How tensors are filled from Philox, element by element. Every device calls these functions
// (or ports them verbatim), so element i of a random tensor has the same bits everywhere.
//
// Key = (seed low 32 bits, seed high 32 bits). Counter = (word0, word1, streamId, purpose):
//   uniform:            element i reads lane i mod 4 of block (i div 4), purpose 0
//   normal:             element i reads block i, purpose 1 (Box-Muller on lanes 0 and 1)
//   truncated normal:   element i reads block i, purpose 2 + round; tries r·cos θ, then r·sin θ,
//                       then the next round, until |z| ≤ 2
namespace SwitchNative.Random;

/// <summary>Uniform, normal and truncated-normal values as pure functions of (seed, stream, index).</summary>
public static class PhiloxDistributions
{
    private const uint PurposeUniform = 0;
    private const uint PurposeNormal = 1;
    private const uint PurposeTruncatedFirstRound = 2;

    /// <summary>The truncation bound of <see cref="TruncatedNormal"/>, in standard deviations.</summary>
    public const double TruncationBound = 2.0;

    /// <summary>Maps the top 24 bits of <paramref name="bits"/> to [0, 1) exactly representable in float.</summary>
    public static float UnitInterval(uint bits) => (bits >> 8) * (1.0f / 16777216.0f);

    /// <summary>Uniform in [0, 1) for element <paramref name="index"/> of stream (seed, streamId).</summary>
    public static float Uniform(ulong seed, uint streamId, long index)
    {
        ulong block = (ulong)index >> 2;
        var bits = Philox4x32.Generate(new Block4((uint)block, (uint)(block >> 32), streamId, PurposeUniform), (uint)seed, (uint)(seed >> 32));
        uint lane = (uint)(index & 3) switch { 0 => bits.X0, 1 => bits.X1, 2 => bits.X2, _ => bits.X3 };
        return UnitInterval(lane);
    }

    /// <summary>Standard normal for element <paramref name="index"/>: Box-Muller, z = √(−2 ln u₁)·cos(2π u₂), u₁ ∈ (0, 1].</summary>
    public static float Normal(ulong seed, uint streamId, long index)
    {
        var bits = Philox4x32.Generate(new Block4((uint)index, (uint)((ulong)index >> 32), streamId, PurposeNormal), (uint)seed, (uint)(seed >> 32));
        var (radius, angle) = BoxMullerPolar(bits.X0, bits.X1);
        return (float)(radius * Math.Cos(angle));
    }

    /// <summary>Standard normal conditioned on |z| ≤ 2, by re-drawing (not clipping), for element <paramref name="index"/>.</summary>
    public static float TruncatedNormal(ulong seed, uint streamId, long index)
    {
        for (uint round = 0; ; round++)
        {
            var bits = Philox4x32.Generate(new Block4((uint)index, (uint)((ulong)index >> 32), streamId, PurposeTruncatedFirstRound + round), (uint)seed, (uint)(seed >> 32));
            var (radius, angle) = BoxMullerPolar(bits.X0, bits.X1);
            double first = radius * Math.Cos(angle);
            if (Math.Abs(first) <= TruncationBound) return (float)first;
            double second = radius * Math.Sin(angle);
            if (Math.Abs(second) <= TruncationBound) return (float)second;
            // Both draws fall outside ±2σ with probability ≈ 0.0021; the loop ends almost surely.
        }
    }

    // u₁ = (top 24 bits + 1)/2²⁴ ∈ (0, 1] keeps the logarithm finite; u₂ ∈ [0, 1).
    private static (double Radius, double Angle) BoxMullerPolar(uint bits1, uint bits2)
    {
        double u1 = ((bits1 >> 8) + 1.0) / 16777216.0;
        double u2 = (bits2 >> 8) / 16777216.0;
        return (Math.Sqrt(-2.0 * Math.Log(u1)), 2.0 * Math.PI * u2);
    }
}
