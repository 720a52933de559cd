// Every knob of a Switch (mixture-of-experts) FFN layer, with the paper's defaults.
using SwitchNative.Devices.Routing;

namespace SwitchNative.Nn;

/// <summary>The expert activation.</summary>
public enum ExpertActivation
{
    /// <summary>max(x, 0): the Switch / T5 default.</summary>
    Relu,
    /// <summary>GELU, tanh approximation.</summary>
    Gelu,
}

/// <summary>Configuration of one Switch layer (d = ModelDim, f = FfnDim, E = ExpertCount).</summary>
public sealed record SwitchLayerSettings
{
    /// <summary>d, the model width.</summary>
    public required int ModelDim { get; init; }

    /// <summary>f, each expert's hidden width.</summary>
    public required int FfnDim { get; init; }

    /// <summary>E, the number of experts.</summary>
    public required int ExpertCount { get; init; }

    /// <summary>k, experts per token (1 = Switch routing).</summary>
    public int TopK { get; init; } = 1;

    /// <summary>Renormalize the k &gt; 1 gates over the chosen experts.</summary>
    public bool Renormalize { get; init; } = true;

    /// <summary>Capacity factor in training (paper: 1.25); ≤ 0 is dropless.</summary>
    public double CapacityFactor { get; init; } = 1.25;

    /// <summary>Capacity factor in evaluation (paper: 2.0); ≤ 0 is dropless.</summary>
    public double EvalCapacityFactor { get; init; } = 2.0;

    /// <summary>Lower bound on the capacity (mesh-tensorflow: 4).</summary>
    public int MinCapacity { get; init; } = 4;

    /// <summary>α of the load-balancing loss (paper: 1e-2).</summary>
    public double AuxLossCoefficient { get; init; } = 1e-2;

    /// <summary>β of the router z-loss (0 = off; ST-MoE uses 1e-3).</summary>
    public double ZLossCoefficient { get; init; }

    /// <summary>The experts' activation.</summary>
    public ExpertActivation Activation { get; init; } = ExpertActivation.Relu;

    /// <summary>ε of the multiplicative router jitter in training (0 = off; paper Table 11 uses 1e-2).</summary>
    public float JitterEpsilon { get; init; }

    /// <summary>Dropout probability on the experts' hidden activations in training (0 = off).</summary>
    public float ExpertDropout { get; init; }

    /// <summary>Tokens per routing group (0 = the whole batch).</summary>
    public int GroupSize { get; init; }

    /// <summary>Token choice (Switch) or expert choice.</summary>
    public RoutingMode Mode { get; init; } = RoutingMode.TokenChoice;

    /// <summary>The routing request for a training or an evaluation pass.</summary>
    public RoutingRequest Routing(bool training) =>
        new(TopK, Renormalize, training ? CapacityFactor : EvalCapacityFactor, MinCapacity, GroupSize, Mode);

    /// <summary>Throws on an impossible configuration.</summary>
    public void Validate()
    {
        if (ModelDim < 1 || FfnDim < 1) throw new ArgumentOutOfRangeException(nameof(ModelDim), $"model and FFN widths must be ≥ 1, got d = {ModelDim}, f = {FfnDim}");
        Routing(training: true).Validate(ExpertCount);
        Routing(training: false).Validate(ExpertCount);
        if (!(JitterEpsilon >= 0 && JitterEpsilon < 1)) throw new ArgumentOutOfRangeException(nameof(JitterEpsilon), $"jitter ε must be in [0, 1), got {JitterEpsilon}");
        if (!(ExpertDropout >= 0 && ExpertDropout < 1)) throw new ArgumentOutOfRangeException(nameof(ExpertDropout), $"expert dropout must be in [0, 1), got {ExpertDropout}");
        if (AuxLossCoefficient < 0 || ZLossCoefficient < 0) throw new ArgumentOutOfRangeException(nameof(AuxLossCoefficient), "loss coefficients must be ≥ 0");
    }
}
