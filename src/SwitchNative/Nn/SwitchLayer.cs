// The Switch layer: router → dispatch → experts (grouped GEMM) → combine, and its backward.
// Semantics: spec/switch-layer.md. Letters: T tokens, d model dim, f expert hidden dim,
// E experts, A assignments per token (k, or E for expert choice), R expert rows (≤ T·A).
//
// Forward                                         Backward (each line inverts the one opposite)
//   x_r = x ⊙ u            (jitter, training)       dx += (dlogits·W_r) ⊙ u
//   logits = x_r·W_rᵀ       [T, E]                   dW_r += dlogitsᵀ·x_r
//   route: p, top-k, gates, capacity, rows           dlogits = router backward(dgates, aux, z)
//   x_e = dispatch(x)       [R, d]                   dx  = combine(dx_e)            (its adjoint)
//   a = x_e·W1[e]ᵀ          [R, f]                   dW1 += daᵀ·x_e; dx_e = da·W1[e]
//   h = act(a) ⊙ mask       [R, f]                   da = act'(a) ⊙ dh ⊙ mask
//   o = h·W2[e]ᵀ            [R, d]                   dW2 += doᵀ·h;   dh = do·W2[e]
//   y = Σ_j gate·o          [T, d]                   do = gate·dy[token]; dgate = ⟨o, dy⟩
using SwitchNative.Devices;
using SwitchNative.Devices.Routing;
using SwitchNative.Tensors;

namespace SwitchNative.Nn;

/// <summary>A mixture-of-experts FFN layer with Switch (top-1), top-k or expert-choice routing.</summary>
public sealed class SwitchLayer : IDisposable
{
    // Philox stream ids: one per layer and purpose, so noise never repeats across layers.
    private const uint JitterPurpose = 1, DropoutPurpose = 2;

    private readonly IDevice _device;
    private readonly int _width;
    private TokenBuffers? _tokens;
    private RowBuffers? _rows;
    private ForwardState? _state;

    /// <summary>Creates a layer that runs on <paramref name="device"/>.</summary>
    public SwitchLayer(IDevice device, SwitchLayerSettings settings)
    {
        settings.Validate();
        _device = device;
        Settings = settings;
        _width = Math.Max(settings.Routing(true).AssignmentWidth(settings.ExpertCount), 1);
    }

    /// <summary>The configuration.</summary>
    public SwitchLayerSettings Settings { get; }

    /// <summary>The routing tensors of the last forward pass (for inspection and tests).</summary>
    public RoutingTensors? LastRouting => _tokens?.Routing;

    /// <summary>The router logits [T, E] of the last forward pass.</summary>
    public Tensor? LastLogits => _tokens?.Logits;

    /// <summary>
    /// y = Switch(x) for x, y [T, d]. Keeps what the backward needs, including a reference to x:
    /// x must stay unchanged until <see cref="Backward"/>.
    /// </summary>
    public SwitchLayerResult Forward(Tensor x, SwitchLayerWeights weights, SwitchPass pass, Tensor y)
    {
        int d = Settings.ModelDim, f = Settings.FfnDim;
        OpChecks.HasShape(x, nameof(x), -1, d);
        OpChecks.SameShape(x, nameof(x), y, nameof(y));
        CheckWeights(weights, nameof(weights));
        int tokens = x.Shape[0];
        var buffers = EnsureTokens(tokens);
        var request = Settings.Routing(pass.Training);

        bool jitter = pass.Training && Settings.JitterEpsilon > 0;
        var routerInput = x;
        if (jitter)
        {
            // u ~ U(1 − ε, 1 + ε) element-wise; only the router sees x ⊙ u.
            _device.FillUniform(StepSeed(pass), StreamId(pass, JitterPurpose), 1f - Settings.JitterEpsilon, 1f + Settings.JitterEpsilon, buffers.Noise!);
            _device.Multiply(x, buffers.Noise!, buffers.RouterInput!);
            routerInput = buffers.RouterInput!;
        }
        _device.Gemm(routerInput, false, weights.RouterWeight, true, 1f, 0f, buffers.Logits);
        var statistics = _device.Route(buffers.Logits, request, buffers.Routing);

        int rowCount = statistics.RowCount;
        var rows = EnsureRows(rowCount);
        var offsets = statistics.ExpertRowOffsets;
        var expertInput = rows.ExpertInput.Slice(0, rowCount);
        var preActivation = rows.PreActivation.Slice(0, rowCount);
        var hidden = rows.Hidden.Slice(0, rowCount);
        var expertOutput = rows.ExpertOutput.Slice(0, rowCount);
        _device.Dispatch(x, buffers.Routing.RowToken.Slice(0, rowCount), null, expertInput);
        _device.GroupedGemm(expertInput, weights.ExpertsW1, true, 1f, 0f, preActivation, offsets);
        if (Settings.Activation == ExpertActivation.Relu) _device.Relu(preActivation, hidden);
        else _device.Gelu(preActivation, hidden);
        bool dropout = pass.Training && Settings.ExpertDropout > 0;
        if (dropout)
        {
            var mask = rows.DropoutMask!.Slice(0, rowCount);
            _device.DropoutMask(StepSeed(pass), StreamId(pass, DropoutPurpose), Settings.ExpertDropout, mask);
            _device.Multiply(hidden, mask, hidden);
        }
        _device.GroupedGemm(hidden, weights.ExpertsW2, true, 1f, 0f, expertOutput, offsets);
        _device.Combine(expertOutput, buffers.Routing.AssignmentRow, buffers.Routing.Gates, y);

        _state = new ForwardState(x, routerInput, request, statistics, jitter, dropout);
        return new SwitchLayerResult(
            Settings.AuxLossCoefficient * statistics.BalanceSum,
            Settings.ZLossCoefficient * statistics.MeanSquaredLogSumExp,
            statistics);
    }

    /// <summary>
    /// Backward of the last forward: given dy [T, d], writes dx [T, d] and accumulates (+=) the
    /// weight gradients. The aux and z losses enter with weight <paramref name="lossWeight"/>
    /// (1 for total = task + aux + z; 1/L to average over L Switch layers).
    /// </summary>
    public void Backward(Tensor dy, SwitchLayerWeights weights, SwitchLayerWeights gradients, Tensor dx, float lossWeight = 1f)
    {
        var state = _state ?? throw new InvalidOperationException("Backward needs a Forward first");
        var buffers = _tokens!;
        OpChecks.SameShape(state.X, "x", dy, nameof(dy));
        OpChecks.SameShape(state.X, "x", dx, nameof(dx));
        CheckWeights(weights, nameof(weights));
        CheckWeights(gradients, nameof(gradients));
        int rowCount = state.Statistics.RowCount, tokens = state.X.Shape[0];
        var offsets = state.Statistics.ExpertRowOffsets;
        var rows = _rows!;
        var expertInput = rows.ExpertInput.Slice(0, rowCount);
        var preActivation = rows.PreActivation.Slice(0, rowCount);
        var hidden = rows.Hidden.Slice(0, rowCount);
        var expertOutput = rows.ExpertOutput.Slice(0, rowCount);
        var dExpertOutput = rows.ExpertOutputGradient.Slice(0, rowCount);
        var dHidden = rows.HiddenGradient.Slice(0, rowCount);
        var dExpertInput = rows.ExpertInputGradient.Slice(0, rowCount);

        // Combine: dgate_tj = ⟨o_row, dy_t⟩; do_row = gate_row·dy_token.
        _device.CombineGateGradient(expertOutput, buffers.Routing.AssignmentRow, dy, buffers.GateGradient);
        _device.Dispatch(dy, buffers.Routing.RowToken.Slice(0, rowCount), buffers.Routing.RowGate.Slice(0, rowCount), dExpertOutput);
        // Second expert matmul.
        _device.GroupedGemmWeightGradient(dExpertOutput, hidden, 1f, 1f, gradients.ExpertsW2, offsets);
        _device.GroupedGemm(dExpertOutput, weights.ExpertsW2, false, 1f, 0f, dHidden, offsets);
        // Dropout and activation.
        if (state.Dropout) _device.Multiply(dHidden, rows.DropoutMask!.Slice(0, rowCount), dHidden);
        if (Settings.Activation == ExpertActivation.Relu) _device.ReluBackward(preActivation, dHidden, dHidden);
        else _device.GeluBackward(preActivation, dHidden, dHidden);
        // First expert matmul, then back to tokens (combine with unit weights is dispatch's adjoint).
        _device.GroupedGemmWeightGradient(dHidden, expertInput, 1f, 1f, gradients.ExpertsW1, offsets);
        _device.GroupedGemm(dHidden, weights.ExpertsW1, false, 1f, 0f, dExpertInput, offsets);
        _device.Combine(dExpertInput, buffers.Routing.AssignmentRow, null, dx);

        // Router: aux = α·BalanceSum, z = β·mean lse²  ⇒  ∂z/∂logit = 2β·lse·p/T.
        float balanceScale = (float)(Settings.AuxLossCoefficient * lossWeight);
        float zScale = tokens == 0 ? 0f : (float)(2 * Settings.ZLossCoefficient * lossWeight / tokens);
        _device.RouterBackward(buffers.Routing, buffers.GateGradient, state.Request, state.Statistics.BalanceGradient, balanceScale, zScale, buffers.LogitGradient);
        _device.Gemm(buffers.LogitGradient, true, state.RouterInput, false, 1f, 1f, gradients.RouterWeight);
        if (state.Jitter)
        {
            _device.Gemm(buffers.LogitGradient, false, weights.RouterWeight, false, 1f, 0f, buffers.RouterInputGradient!);
            _device.Multiply(buffers.RouterInputGradient!, buffers.Noise!, buffers.RouterInputGradient!);
            _device.Add(dx, buffers.RouterInputGradient!, dx);
        }
        else
        {
            _device.Gemm(buffers.LogitGradient, false, weights.RouterWeight, false, 1f, 1f, dx);
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _tokens?.Dispose();
        _rows?.Dispose();
    }

    private void CheckWeights(SwitchLayerWeights weights, string name)
    {
        ArgumentNullException.ThrowIfNull(weights, name);
        int e = Settings.ExpertCount, d = Settings.ModelDim, f = Settings.FfnDim;
        OpChecks.HasShape(weights.RouterWeight, name + ".RouterWeight", e, d);
        OpChecks.HasShape(weights.ExpertsW1, name + ".ExpertsW1", e, f, d);
        OpChecks.HasShape(weights.ExpertsW2, name + ".ExpertsW2", e, d, f);
    }

    // A different noise key per step: the Weyl sequence seed + step·⌊2⁶⁴/φ⌋.
    private static ulong StepSeed(SwitchPass pass) => pass.Seed + (ulong)pass.Step * 0x9E3779B97F4A7C15UL;

    private static uint StreamId(SwitchPass pass, uint purpose) => pass.LayerIndex * 16 + purpose;

    private TokenBuffers EnsureTokens(int tokens)
    {
        if (_tokens is { Tokens: var current } && current == tokens) return _tokens;
        _tokens?.Dispose();
        _tokens = new TokenBuffers(_device, Settings, tokens, _width);
        return _tokens;
    }

    private RowBuffers EnsureRows(int rows)
    {
        if (_rows is { Capacity: var capacity } && capacity >= rows) return _rows;
        _rows?.Dispose();
        _rows = new RowBuffers(_device, Settings, Math.Max(rows, 1));
        return _rows;
    }

    private sealed record ForwardState(Tensor X, Tensor RouterInput, RoutingRequest Request, RoutingStatistics Statistics, bool Jitter, bool Dropout);

    // Per-token buffers: reused while T stays the same.
    private sealed class TokenBuffers : IDisposable
    {
        public TokenBuffers(IDevice device, SwitchLayerSettings settings, int tokens, int width)
        {
            Tokens = tokens;
            int d = settings.ModelDim, e = settings.ExpertCount;
            Logits = device.Allocate([tokens, e]);
            LogitGradient = device.Allocate([tokens, e]);
            GateGradient = device.Allocate([tokens, width]);
            Routing = RoutingTensors.Allocate(device, tokens, e, width);
            if (settings.JitterEpsilon > 0)
            {
                Noise = device.Allocate([tokens, d]);
                RouterInput = device.Allocate([tokens, d]);
                RouterInputGradient = device.Allocate([tokens, d]);
            }
        }

        public int Tokens { get; }
        public Tensor Logits { get; }
        public Tensor LogitGradient { get; }
        public Tensor GateGradient { get; }
        public RoutingTensors Routing { get; }
        public Tensor? Noise { get; }
        public Tensor? RouterInput { get; }
        public Tensor? RouterInputGradient { get; }

        public void Dispose()
        {
            foreach (var tensor in new[] { Logits, LogitGradient, GateGradient, Noise, RouterInput, RouterInputGradient }) tensor?.Dispose();
            Routing.Dispose();
        }
    }

    // Per-row buffers: grown when a pass routes more rows than ever before.
    private sealed class RowBuffers : IDisposable
    {
        public RowBuffers(IDevice device, SwitchLayerSettings settings, int capacity)
        {
            Capacity = capacity;
            int d = settings.ModelDim, f = settings.FfnDim;
            ExpertInput = device.Allocate([capacity, d]);
            PreActivation = device.Allocate([capacity, f]);
            Hidden = device.Allocate([capacity, f]);
            ExpertOutput = device.Allocate([capacity, d]);
            ExpertOutputGradient = device.Allocate([capacity, d]);
            HiddenGradient = device.Allocate([capacity, f]);
            ExpertInputGradient = device.Allocate([capacity, d]);
            if (settings.ExpertDropout > 0) DropoutMask = device.Allocate([capacity, f]);
        }

        public int Capacity { get; }
        public Tensor ExpertInput { get; }
        public Tensor PreActivation { get; }
        public Tensor Hidden { get; }
        public Tensor ExpertOutput { get; }
        public Tensor ExpertOutputGradient { get; }
        public Tensor HiddenGradient { get; }
        public Tensor ExpertInputGradient { get; }
        public Tensor? DropoutMask { get; }

        public void Dispose()
        {
            foreach (var tensor in new[] { ExpertInput, PreActivation, Hidden, ExpertOutput, ExpertOutputGradient, HiddenGradient, ExpertInputGradient, DropoutMask }) tensor?.Dispose();
        }
    }
}
