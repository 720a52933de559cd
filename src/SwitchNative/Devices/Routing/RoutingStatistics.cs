// What a routing call reports back to the host: the row layout the expert GEMMs need, the
// losses, and router health.
namespace SwitchNative.Devices.Routing;

/// <summary>Host-side results of <see cref="IDevice.Route"/>.</summary>
public sealed class RoutingStatistics
{
    /// <summary>Rows each expert received (kept assignments, summed over groups) [E].</summary>
    public required int[] ExpertRowCounts { get; init; }

    /// <summary>Start of each expert's rows in the expert-major layout [E + 1]; the last entry is R.</summary>
    public required int[] ExpertRowOffsets { get; init; }

    /// <summary>The capacity C used in each group.</summary>
    public required int[] GroupCapacities { get; init; }

    /// <summary>Tokens whose first choice was each expert, before capacity, summed over groups [E].</summary>
    public required int[] FirstChoiceCounts { get; init; }

    /// <summary>
    /// Token choice: assignments dropped for lack of room. Expert choice: tokens that no expert took.
    /// </summary>
    public required int DroppedCount { get; init; }

    /// <summary>Assignments (token choice) or tokens (expert choice) that <see cref="DroppedCount"/> is out of.</summary>
    public required int AssignmentCount { get; init; }

    /// <summary>Unscaled load-balancing sum E·Σ_i f_i·P_i, averaged over groups (1 at uniform routing; 0 for expert choice).</summary>
    public required double BalanceSum { get; init; }

    /// <summary>
    /// ∂(BalanceSum)/∂probs[t, i] = E·f_{g,i}/n_g/G for a token t of group g [G·E], f counted
    /// before capacity (the aux gradient treats f as a constant, as in the paper).
    /// </summary>
    public required float[] BalanceGradient { get; init; }

    /// <summary>mean_t (logsumexp_t)², the unscaled router z-loss.</summary>
    public required double MeanSquaredLogSumExp { get; init; }

    /// <summary>Mean over tokens of the largest router probability.</summary>
    public required double MeanTopProbability { get; init; }

    /// <summary>Mean over tokens of the router entropy −Σ_i p_i ln p_i (nats).</summary>
    public required double MeanEntropy { get; init; }

    /// <summary>R, the number of expert rows.</summary>
    public int RowCount => ExpertRowOffsets[^1];

    /// <summary>Dropped fraction in [0, 1].</summary>
    public double DroppedFraction => AssignmentCount == 0 ? 0 : (double)DroppedCount / AssignmentCount;
}
