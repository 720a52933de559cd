// The Switch language model: token (+ position) embeddings, L pre-norm blocks of causal
// multi-head attention and an FFN (every N-th a Switch layer), a final RMSNorm and the LM
// head (tied to the embedding or not). Forward and backward are written out op by op against
// IDevice; parameters and gradients are two TensorSets with one layout.
//
// Block l:  h = RMSNorm(x_l);  m_l = x_l + drop(Attention(h)·W_projᵀ)
//           g = RMSNorm(m_l);  x_{l+1} = m_l + drop(FFN(g))     FFN = dense or Switch
// Head:     logits = RMSNorm(x_L)·Eᵀ;  loss = mean cross-entropy + mean over Switch layers (aux + z)
using SwitchNative.Devices;
using SwitchNative.Tensors;

namespace SwitchNative.Nn;

/// <summary>Losses and router health of one forward pass.</summary>
/// <param name="CrossEntropySum">Σ of per-token cross-entropy over counted targets.</param>
/// <param name="TokenCount">Targets counted (not ignored).</param>
/// <param name="AuxLoss">Mean aux loss over Switch layers.</param>
/// <param name="ZLoss">Mean z-loss over Switch layers.</param>
/// <param name="SwitchLayers">Per Switch layer: tokens per expert, drops, ….</param>
public sealed record LmForwardResult(double CrossEntropySum, int TokenCount, double AuxLoss, double ZLoss, IReadOnlyList<SwitchLayerResult> SwitchLayers)
{
    /// <summary>Mean cross-entropy in nats.</summary>
    public double CrossEntropy => TokenCount == 0 ? 0 : CrossEntropySum / TokenCount;

    /// <summary>Mean dropped fraction over Switch layers.</summary>
    public double DroppedFraction => SwitchLayers.Count == 0 ? 0 : SwitchLayers.Average(layer => layer.DroppedFraction);
}

/// <summary>A decoder-only transformer with Switch FFN layers.</summary>
public sealed partial class SwitchLm : IDisposable
{
    /// <summary>Targets equal to this are not counted (padding).</summary>
    public const int IgnoreIndex = -1;

    private readonly IDevice _device;
    private readonly SwitchLayer?[] _switchLayers;
    private readonly Tensor? _sinusoidal;
    private SwitchLmActivations? _activations;

    /// <summary>Allocates zeroed parameters and gradients on <paramref name="device"/>; call <see cref="Initialize"/> or load a checkpoint.</summary>
    public SwitchLm(IDevice device, SwitchLmConfig config)
    {
        config.Validate();
        _device = device;
        Config = config;
        Parameters = new TensorSet(device, SwitchLmParameters.Layout(config));
        Gradients = Parameters.CreateLike(device);
        _switchLayers = Enumerable.Range(0, config.LayerCount).Select(layer => config.IsSwitchBlock(layer) ? new SwitchLayer(device, config.SwitchSettings) : null).ToArray();
        if (config.Positions == PositionEncoding.Sinusoidal)
            _sinusoidal = device.FromArray<float>(SwitchLmParameters.SinusoidalTable(config.ContextLength, config.ModelDim), [config.ContextLength, config.ModelDim]);
    }

    /// <summary>The configuration.</summary>
    public SwitchLmConfig Config { get; }

    /// <summary>The device the model runs on.</summary>
    public IDevice Device => _device;

    /// <summary>All parameters, one buffer.</summary>
    public TensorSet Parameters { get; }

    /// <summary>Their gradients (same layout); backward accumulates into them.</summary>
    public TensorSet Gradients { get; }

    /// <summary>Number of parameters.</summary>
    public long ParameterCount => Parameters.Flat.ElementCount;

    /// <summary>The logits [T, V] of the last forward pass.</summary>
    public Tensor? LastLogits => _activations?.Logits;

    /// <summary>
    /// The activations of the last forward pass by name (residual stream per block, attention
    /// output, FFN input and output, final norm, logits, and each Switch layer's router
    /// probabilities), for comparing two devices tensor by tensor.
    /// </summary>
    public IEnumerable<(string Name, Tensor Tensor)> LastActivations()
    {
        var a = _activations ?? throw new InvalidOperationException("no forward pass yet");
        for (int layer = 0; layer < Config.LayerCount; layer++)
        {
            yield return ($"blocks.{layer}.input", a.Residual[layer]);
            yield return ($"blocks.{layer}.attention.output", a.Attended[layer]);
            yield return ($"blocks.{layer}.ffn.input", a.FfnNormed[layer]);
            if (_switchLayers[layer] is { LastRouting: { } routing }) yield return ($"blocks.{layer}.ffn.router.probs", routing.Probabilities);
        }
        yield return ("final_norm.output", a.FinalNormed);
        yield return ("logits", a.Logits);
    }

    /// <summary>Expert choices [T, A] of each Switch layer in the last forward pass, by block index.</summary>
    public IEnumerable<(int Layer, Tensor ExpertIndex, Tensor Probabilities)> LastRoutingDecisions()
    {
        for (int layer = 0; layer < Config.LayerCount; layer++)
            if (_switchLayers[layer] is { LastRouting: { } routing }) yield return (layer, routing.ExpertIndex, routing.Probabilities);
    }

    /// <summary>Random init (see <see cref="SwitchLmParameters.Initialize"/>).</summary>
    public void Initialize(ulong seed) => SwitchLmParameters.Initialize(_device, Parameters, Config, seed);

    /// <summary>Sets every gradient to zero.</summary>
    public void ZeroGradients() => _device.Fill(0f, Gradients.Flat);

    private Tensor Weight(string name) => Parameters[name];

    private Tensor HeadWeight => Config.TiedEmbeddings ? Weight("embedding.weight") : Weight("lm_head.weight");

    private SwitchLayerWeights SwitchWeights(TensorSet set, int layer) => SwitchLayerWeights.From(set, SwitchLmParameters.Block(layer, "ffn."));

    /// <summary>
    /// Forward over a batch of <paramref name="batch"/> sequences of <paramref name="sequence"/> tokens
    /// (row-major host arrays); targets equal to <see cref="IgnoreIndex"/> are not counted.
    /// </summary>
    public LmForwardResult Forward(int[] tokens, int[] targets, int batch, int sequence, SwitchPass pass)
    {
        if (sequence < 1 || sequence > Config.ContextLength) throw new ArgumentOutOfRangeException(nameof(sequence), $"sequence length {sequence} must be in [1, {Config.ContextLength}]");
        if (batch < 1 || tokens.Length != batch * sequence || targets.Length != batch * sequence)
            throw new ArgumentException($"tokens and targets must hold batch·sequence = {batch * sequence} ids");
        var a = EnsureActivations(batch, sequence);
        _device.CopyFromHost<int>(tokens, a.Tokens);
        _device.CopyFromHost<int>(targets, a.Targets);
        int d = Config.ModelDim, t = batch * sequence;

        _device.Embedding(Weight("embedding.weight"), a.Tokens, a.Residual[0]);
        var positions = Config.Positions == PositionEncoding.Learned ? Weight("position.weight") : _sinusoidal!;
        _device.Embedding(positions, a.PositionIds, a.Branch);
        _device.Add(a.Residual[0], a.Branch, a.Residual[0]);

        var switchResults = new List<SwitchLayerResult>();
        bool dropout = pass.Training && Config.Dropout > 0;
        for (int layer = 0; layer < Config.LayerCount; layer++)
        {
            // Attention half.
            _device.RmsNorm(a.Residual[layer], Weight(SwitchLmParameters.Block(layer, "attention_norm.weight")), Config.NormEpsilon, a.AttentionNormed[layer], a.AttentionRms[layer]);
            _device.Gemm(a.AttentionNormed[layer], false, Weight(SwitchLmParameters.Block(layer, "attention.qkv.weight")), true, 1f, 0f, a.Qkv[layer]);
            _device.CausalAttention(a.Qkv[layer].Reshape(batch, sequence, 3 * d), Config.HeadCount, a.AttentionProbabilities[layer], a.Attended[layer].Reshape(batch, sequence, d));
            _device.Gemm(a.Attended[layer], false, Weight(SwitchLmParameters.Block(layer, "attention.proj.weight")), true, 1f, 0f, a.Branch);
            if (dropout) ApplyDropout(a.AttentionMask![layer], a.Branch, pass, layer, 0);
            _device.Add(a.Residual[layer], a.Branch, a.Middle[layer]);

            // FFN half.
            _device.RmsNorm(a.Middle[layer], Weight(SwitchLmParameters.Block(layer, "ffn_norm.weight")), Config.NormEpsilon, a.FfnNormed[layer], a.FfnRms[layer]);
            if (_switchLayers[layer] is { } switchLayer)
            {
                switchResults.Add(switchLayer.Forward(a.FfnNormed[layer], SwitchWeights(Parameters, layer), pass with { LayerIndex = (uint)layer }, a.Branch));
            }
            else
            {
                _device.Gemm(a.FfnNormed[layer], false, Weight(SwitchLmParameters.Block(layer, "ffn.w1")), true, 1f, 0f, a.PreActivation[layer]!);
                if (Config.Activation == ExpertActivation.Relu) _device.Relu(a.PreActivation[layer]!, a.Hidden[layer]!);
                else _device.Gelu(a.PreActivation[layer]!, a.Hidden[layer]!);
                _device.Gemm(a.Hidden[layer]!, false, Weight(SwitchLmParameters.Block(layer, "ffn.w2")), true, 1f, 0f, a.Branch);
            }
            if (dropout) ApplyDropout(a.FfnMask![layer], a.Branch, pass, layer, 1);
            _device.Add(a.Middle[layer], a.Branch, a.Residual[layer + 1]);
        }

        _device.RmsNorm(a.Residual[Config.LayerCount], Weight("final_norm.weight"), Config.NormEpsilon, a.FinalNormed, a.FinalRms);
        _device.Gemm(a.FinalNormed, false, HeadWeight, true, 1f, 0f, a.Logits);
        _device.SoftmaxCrossEntropy(a.Logits, a.Targets, IgnoreIndex, a.Probabilities, a.Losses);
        _device.Sum(a.Losses, a.Scalar);
        double crossEntropySum = _device.ToScalar(a.Scalar);
        int counted = targets.Count(target => target != IgnoreIndex);
        return new LmForwardResult(crossEntropySum, counted,
            switchResults.Count == 0 ? 0 : switchResults.Average(r => r.AuxLoss),
            switchResults.Count == 0 ? 0 : switchResults.Average(r => r.ZLoss), switchResults);
    }

    // Inverted dropout on a residual branch: branch ⊙ mask, mask ∈ {0, 1/(1−p)} from Philox.
    private void ApplyDropout(Tensor mask, Tensor branch, SwitchPass pass, int layer, int half)
    {
        ulong seed = pass.Seed + (ulong)pass.Step * 0x9E3779B97F4A7C15UL;
        _device.DropoutMask(seed, 1000u + (uint)(2 * layer + half), Config.Dropout, mask);
        _device.Multiply(branch, mask, branch);
    }

    private SwitchLmActivations EnsureActivations(int batch, int sequence)
    {
        if (_activations is { } current && current.Batch == batch && current.Sequence == sequence) return current;
        _activations?.Dispose();
        _activations = new SwitchLmActivations(_device, Config, batch, sequence);
        return _activations;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _activations?.Dispose();
        foreach (var layer in _switchLayers) layer?.Dispose();
        _sinusoidal?.Dispose();
        Parameters.Dispose();
        Gradients.Dispose();
    }
}
