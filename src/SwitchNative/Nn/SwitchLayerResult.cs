// What a Switch layer's forward pass returns besides y: its losses and router health.
using SwitchNative.Devices.Routing;

namespace SwitchNative.Nn;

/// <summary>Losses and routing statistics of one forward pass.</summary>
/// <param name="AuxLoss">α·E·Σ f_i·P_i (mean over groups).</param>
/// <param name="ZLoss">β·mean_t (logsumexp_t)².</param>
/// <param name="Routing">Tokens per expert, drops, top-1 probability, entropy.</param>
public sealed record SwitchLayerResult(double AuxLoss, double ZLoss, RoutingStatistics Routing)
{
    /// <summary>Rows each expert processed.</summary>
    public IReadOnlyList<int> TokensPerExpert => Routing.ExpertRowCounts;

    /// <summary>Dropped assignments (token choice) or unrouted tokens (expert choice).</summary>
    public int DroppedCount => Routing.DroppedCount;

    /// <summary><see cref="DroppedCount"/> as a fraction.</summary>
    public double DroppedFraction => Routing.DroppedFraction;

    /// <summary>Mean over tokens of the largest router probability.</summary>
    public double MeanTopProbability => Routing.MeanTopProbability;

    /// <summary>Mean router entropy in nats (ln E at uniform routing).</summary>
    public double RouterEntropy => Routing.MeanEntropy;
}

/// <summary>Which pass this is: training enables jitter, expert dropout and the training capacity factor.</summary>
/// <param name="Training">Training or evaluation.</param>
/// <param name="Seed">Run seed.</param>
/// <param name="Step">Step number (noise differs per step).</param>
/// <param name="LayerIndex">Layer number (noise differs per layer).</param>
public readonly record struct SwitchPass(bool Training, ulong Seed = 0, long Step = 0, uint LayerIndex = 0);
