// What the router is asked to do: the routing knobs of spec/switch-layer.md steps 3–6.
namespace SwitchNative.Devices.Routing;

/// <summary>How tokens pick experts.</summary>
public enum RoutingMode
{
    /// <summary>
    /// Token choice (Switch / GShard): each token picks its top-k experts; experts past their
    /// capacity drop the late arrivals. Suitable for causal decoding.
    /// </summary>
    TokenChoice,

    /// <summary>
    /// Expert choice (Zhou et al., 2022): each expert takes its top-C tokens by router
    /// probability, so load is balanced by construction and a token may get 0..E experts.
    /// An expert's choice depends on every token of the group, including later ones, so it
    /// leaks the future and is unsuitable for causal (autoregressive) decoding.
    /// </summary>
    ExpertChoice,
}

/// <summary>The routing settings of one call.</summary>
/// <param name="TopK">k, experts per token (token choice); ignored by expert choice, whose assignment width is E.</param>
/// <param name="Renormalize">k &gt; 1: gates are p_j / Σ_chosen p (computed before any drop); k = 1 never renormalizes.</param>
/// <param name="CapacityFactor">cf; C = min(n, max(minCapacity, ⌊cf·k·n/E⌋)) per group of n tokens; cf ≤ 0 is dropless (token choice only).</param>
/// <param name="MinCapacity">Lower bound on C.</param>
/// <param name="GroupSize">Tokens per routing group (0: the whole batch is one group; the last group may be shorter).</param>
/// <param name="Mode">Token choice or expert choice.</param>
public sealed record RoutingRequest(int TopK = 1, bool Renormalize = true, double CapacityFactor = 1.25, int MinCapacity = 4, int GroupSize = 0, RoutingMode Mode = RoutingMode.TokenChoice)
{
    /// <summary>Assignments per token in the routing tensors: k for token choice, E for expert choice.</summary>
    public int AssignmentWidth(int expertCount) => Mode == RoutingMode.ExpertChoice ? expertCount : TopK;

    /// <summary>The most expert rows a batch of <paramref name="tokenCount"/> tokens can produce.</summary>
    public long MaximumRows(int tokenCount, int expertCount) => (long)tokenCount * AssignmentWidth(expertCount);

    /// <summary>Throws unless the request is valid for <paramref name="expertCount"/> experts.</summary>
    public void Validate(int expertCount)
    {
        if (expertCount < 1) throw new ArgumentOutOfRangeException(nameof(expertCount), $"a Switch layer needs at least one expert, got {expertCount}");
        if (Mode == RoutingMode.TokenChoice && (TopK < 1 || TopK > expertCount))
            throw new ArgumentOutOfRangeException(nameof(TopK), $"top-k must be in [1, {expertCount}] for {expertCount} experts, got {TopK}");
        if (MinCapacity < 0) throw new ArgumentOutOfRangeException(nameof(MinCapacity), $"minimum capacity must be ≥ 0, got {MinCapacity}");
        if (GroupSize < 0) throw new ArgumentOutOfRangeException(nameof(GroupSize), $"group size must be ≥ 0 (0 = whole batch), got {GroupSize}");
        if (Mode == RoutingMode.ExpertChoice && !(CapacityFactor > 0))
            throw new ArgumentOutOfRangeException(nameof(CapacityFactor), "expert-choice routing needs a capacity factor > 0 (it has no dropless form)");
        if (double.IsNaN(CapacityFactor)) throw new ArgumentOutOfRangeException(nameof(CapacityFactor), "capacity factor is NaN");
    }

    /// <summary>C for a group of <paramref name="groupTokens"/> tokens when cf &gt; 0: min(n, max(minCapacity, ⌊cf·k·n/E⌋)).</summary>
    public int Capacity(int groupTokens, int expertCount)
    {
        int k = Mode == RoutingMode.ExpertChoice ? 1 : TopK;
        long fromFactor = (long)Math.Floor(CapacityFactor * k * groupTokens / expertCount);
        return (int)Math.Min(groupTokens, Math.Max(MinCapacity, fromFactor));
    }
}
