// Every knob of the Switch language model. Saved as JSON next to each checkpoint and in its
// safetensors metadata. Letters: V vocabulary, S context, d model dim, L layers, H heads,
// f FFN dim, E experts.
using System.Text.Json;
using System.Text.Json.Serialization;
using SwitchNative.Devices.Routing;

namespace SwitchNative.Nn;

/// <summary>How token positions are encoded.</summary>
public enum PositionEncoding
{
    /// <summary>A trained table [S, d] added to the token embeddings.</summary>
    Learned,
    /// <summary>The fixed sin/cos table of Vaswani et al. (2017).</summary>
    Sinusoidal,
}

/// <summary>Configuration of a decoder-only transformer with Switch FFN layers.</summary>
public sealed record SwitchLmConfig
{
    /// <summary>V.</summary>
    public required int VocabularySize { get; init; }

    /// <summary>S, the longest sequence.</summary>
    public int ContextLength { get; init; } = 128;

    /// <summary>d.</summary>
    public int ModelDim { get; init; } = 256;

    /// <summary>L, transformer blocks.</summary>
    public int LayerCount { get; init; } = 4;

    /// <summary>H, attention heads (d must divide by H).</summary>
    public int HeadCount { get; init; } = 4;

    /// <summary>f, the FFN (or each expert's) hidden width.</summary>
    public int FfnDim { get; init; } = 1024;

    /// <summary>Every N-th block's FFN is a Switch layer (N = 2 as in the paper; 1 = all; 0 = dense model).</summary>
    public int SwitchEvery { get; init; } = 2;

    /// <summary>E.</summary>
    public int ExpertCount { get; init; } = 8;

    /// <summary>k (1 = Switch routing).</summary>
    public int TopK { get; init; } = 1;

    /// <summary>Training capacity factor.</summary>
    public double CapacityFactor { get; init; } = 1.25;

    /// <summary>Evaluation capacity factor.</summary>
    public double EvalCapacityFactor { get; init; } = 2.0;

    /// <summary>Minimum expert capacity.</summary>
    public int MinCapacity { get; init; } = 4;

    /// <summary>α of the load-balancing loss.</summary>
    public double AuxLossCoefficient { get; init; } = 1e-2;

    /// <summary>β of the router z-loss.</summary>
    public double ZLossCoefficient { get; init; } = 1e-3;

    /// <summary>Router jitter ε in training.</summary>
    public float JitterEpsilon { get; init; }

    /// <summary>Dropout on expert hidden activations in training.</summary>
    public float ExpertDropout { get; init; }

    /// <summary>Dropout on each residual branch in training.</summary>
    public float Dropout { get; init; }

    /// <summary>FFN and expert activation.</summary>
    [JsonConverter(typeof(JsonStringEnumConverter))]
    public ExpertActivation Activation { get; init; } = ExpertActivation.Relu;

    /// <summary>Routing mode of the Switch layers.</summary>
    [JsonConverter(typeof(JsonStringEnumConverter))]
    public RoutingMode Routing { get; init; } = RoutingMode.TokenChoice;

    /// <summary>Share the token embedding with the LM head.</summary>
    public bool TiedEmbeddings { get; init; } = true;

    /// <summary>Learned or sinusoidal positions.</summary>
    [JsonConverter(typeof(JsonStringEnumConverter))]
    public PositionEncoding Positions { get; init; } = PositionEncoding.Learned;

    /// <summary>s of the init σ = √(s / fan_in) (paper §2.4: 0.1), truncated at 2σ.</summary>
    public double InitScale { get; init; } = 0.1;

    /// <summary>RMSNorm ε.</summary>
    public float NormEpsilon { get; init; } = 1e-5f;

    /// <summary>True if block <paramref name="layer"/> has a Switch FFN.</summary>
    public bool IsSwitchBlock(int layer) => SwitchEvery > 0 && (layer + 1) % SwitchEvery == 0;

    /// <summary>Number of Switch blocks.</summary>
    public int SwitchLayerCount => Enumerable.Range(0, LayerCount).Count(IsSwitchBlock);

    /// <summary>The Switch layer settings of the sparse blocks.</summary>
    public SwitchLayerSettings SwitchSettings => new()
    {
        ModelDim = ModelDim, FfnDim = FfnDim, ExpertCount = ExpertCount, TopK = TopK, CapacityFactor = CapacityFactor,
        EvalCapacityFactor = EvalCapacityFactor, MinCapacity = MinCapacity, AuxLossCoefficient = AuxLossCoefficient,
        ZLossCoefficient = ZLossCoefficient, Activation = Activation, JitterEpsilon = JitterEpsilon, ExpertDropout = ExpertDropout, Mode = Routing,
    };

    /// <summary>
    /// The dense model with the same FLOPs per token: no Switch layers, f·k hidden units (a
    /// top-k token runs k experts of width f; the router's E·d is negligible).
    /// </summary>
    public SwitchLmConfig DenseBaseline() => this with { SwitchEvery = 0, FfnDim = FfnDim * TopK };

    /// <summary>Throws with a clear message on an impossible configuration.</summary>
    public void Validate()
    {
        void Require(bool condition, string message)
        {
            if (!condition) throw new ArgumentException(message);
        }
        Require(VocabularySize >= 2, $"vocabulary size must be ≥ 2, got {VocabularySize}");
        Require(ContextLength >= 1, $"context length must be ≥ 1, got {ContextLength}");
        Require(ModelDim >= 1 && LayerCount >= 1 && FfnDim >= 1, "model dim, layers and FFN dim must be ≥ 1");
        Require(HeadCount >= 1 && ModelDim % HeadCount == 0, $"model dim {ModelDim} must be divisible by the head count {HeadCount}");
        Require(SwitchEvery >= 0, $"switch-every must be ≥ 0, got {SwitchEvery}");
        Require(Dropout is >= 0 and < 1, $"dropout must be in [0, 1), got {Dropout}");
        Require(InitScale > 0, $"init scale must be > 0, got {InitScale}");
        Require(!(Positions == PositionEncoding.Sinusoidal && ModelDim % 2 != 0), "sinusoidal positions need an even model dim");
        if (SwitchLayerCount > 0) SwitchSettings.Validate();
    }

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    /// <summary>The configuration as indented JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>Parses JSON written by <see cref="ToJson"/> and validates it.</summary>
    public static SwitchLmConfig FromJson(string json)
    {
        var config = JsonSerializer.Deserialize<SwitchLmConfig>(json, JsonOptions) ?? throw new InvalidDataException("the model config JSON is empty");
        config.Validate();
        return config;
    }
}
