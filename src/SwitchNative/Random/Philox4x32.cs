// Philox4x32-10 (Salmon, Moraes, Dror and Shaw, "Parallel random numbers: as easy as 1, 2, 3",
// SC 2011): a counter-based generator. The output is a pure function of (key, counter), so any
// device can produce element i of a random tensor without a shared sequential state. That is
// what makes initial weights, jitter and dropout masks the same bits on every device.
namespace SwitchNative.Random;

/// <summary>Four 32-bit words: a Philox counter or output block.</summary>
public readonly record struct Block4(uint X0, uint X1, uint X2, uint X3);

/// <summary>The Philox4x32 bijection with 10 rounds.</summary>
public static class Philox4x32
{
    // Multipliers and Weyl key increments from the paper (and Random123's philox.h).
    private const uint Multiplier0 = 0xD2511F53;
    private const uint Multiplier1 = 0xCD9E8D57;
    private const uint KeyIncrement0 = 0x9E3779B9; // golden ratio
    private const uint KeyIncrement1 = 0xBB67AE85; // √3 − 1

    /// <summary>Number of rounds; 10 is Random123's default and passes BigCrush with margin.</summary>
    public const int Rounds = 10;

    /// <summary>
    /// Encrypts <paramref name="counter"/> under the key (key0, key1). One round:
    /// (hi₀, lo₀) = M₀·x₀, (hi₁, lo₁) = M₁·x₂, x' = (hi₁ ⊕ x₁ ⊕ k₀, lo₁, hi₀ ⊕ x₃ ⊕ k₁, lo₀);
    /// then the key is bumped by the Weyl increments.
    /// </summary>
    public static Block4 Generate(Block4 counter, uint key0, uint key1)
    {
        uint x0 = counter.X0, x1 = counter.X1, x2 = counter.X2, x3 = counter.X3;
        for (int round = 0; round < Rounds; round++)
        {
            ulong product0 = (ulong)Multiplier0 * x0;
            ulong product1 = (ulong)Multiplier1 * x2;
            uint high0 = (uint)(product0 >> 32), low0 = (uint)product0;
            uint high1 = (uint)(product1 >> 32), low1 = (uint)product1;
            x0 = high1 ^ x1 ^ key0;
            x1 = low1;
            x2 = high0 ^ x3 ^ key1;
            x3 = low0;
            key0 += KeyIncrement0;
            key1 += KeyIncrement1;
        }
        return new Block4(x0, x1, x2, x3);
    }
}
