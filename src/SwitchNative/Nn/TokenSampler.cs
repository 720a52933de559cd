// Picking the next token from logits: temperature, top-k truncation, and a draw from Philox
// keyed by (seed, draw index), so the same seed gives the same text on any device.
using SwitchNative.Random;

namespace SwitchNative.Nn;

/// <summary>Sampling settings; temperature 0 is greedy (arg-max).</summary>
public sealed record TokenSampler(float Temperature = 0.8f, int TopK = 40, ulong Seed = 1)
{
    private const uint StreamId = 0x5A3B;

    /// <summary>The token for draw number <paramref name="draw"/> from <paramref name="logits"/>.</summary>
    public int Sample(ReadOnlySpan<float> logits, long draw)
    {
        if (Temperature < 0 || TopK < 0) throw new ArgumentException("temperature and top-k must be ≥ 0");
        int best = 0;
        for (int i = 1; i < logits.Length; i++) if (logits[i] > logits[best]) best = i;
        if (Temperature == 0) return best;
        // Keep the k largest logits (all when k = 0), softmax them at the temperature, invert the CDF.
        var order = Enumerable.Range(0, logits.Length).ToArray();
        var values = logits.ToArray();
        Array.Sort(order, (a, b) => values[b].CompareTo(values[a]) is var byValue && byValue != 0 ? byValue : a.CompareTo(b));
        int kept = TopK == 0 ? logits.Length : Math.Min(TopK, logits.Length);
        var weights = new double[kept];
        double total = 0;
        for (int i = 0; i < kept; i++) total += weights[i] = Math.Exp((values[order[i]] - values[best]) / Temperature);
        double target = PhiloxDistributions.Uniform(Seed, StreamId, draw) * total;
        for (int i = 0; i < kept; i++)
        {
            target -= weights[i];
            if (target < 0) return order[i];
        }
        return order[kept - 1];
    }
}
