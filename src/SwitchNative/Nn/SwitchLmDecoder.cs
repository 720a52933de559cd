// Incremental decoding with a key/value cache: each new token runs every block on one row,
// appends its keys and values to the layer's cache, and attends over the cache, so producing
// n tokens costs O(n·S) attention instead of re-running the whole prefix each time.
using SwitchNative.Devices;
using SwitchNative.Tensors;

namespace SwitchNative.Nn;

/// <summary>Next-token logits for a growing sequence, with per-layer K/V caches [S, d].</summary>
public sealed class SwitchLmDecoder : IDisposable
{
    private readonly SwitchLm _model;
    private readonly IDevice _device;
    private readonly List<Tensor> _owned = new();
    private readonly Tensor[] _keys, _values;
    private readonly SwitchLayer?[] _switchLayers;
    private readonly Tensor? _sinusoidal;
    private readonly Tensor _token, _position, _x, _normed, _rms, _qkv, _attended, _branch, _hidden, _preActivation, _logits;

    /// <summary>A decoder over <paramref name="model"/>'s current parameters.</summary>
    public SwitchLmDecoder(SwitchLm model)
    {
        _model = model;
        _device = model.Device;
        var config = model.Config;
        int d = config.ModelDim;
        Tensor New(Shape shape, DType dtype = DType.F32)
        {
            var tensor = _device.Allocate(shape, dtype);
            _owned.Add(tensor);
            return tensor;
        }
        _keys = Enumerable.Range(0, config.LayerCount).Select(_ => New([config.ContextLength, d])).ToArray();
        _values = Enumerable.Range(0, config.LayerCount).Select(_ => New([config.ContextLength, d])).ToArray();
        _switchLayers = Enumerable.Range(0, config.LayerCount).Select(layer => config.IsSwitchBlock(layer) ? new SwitchLayer(_device, config.SwitchSettings) : null).ToArray();
        if (config.Positions == PositionEncoding.Sinusoidal)
            _sinusoidal = _device.FromArray<float>(SwitchLmParameters.SinusoidalTable(config.ContextLength, d), [config.ContextLength, d]);
        _token = New([1], DType.I32);
        _position = New([1], DType.I32);
        _x = New([1, d]);
        _normed = New([1, d]);
        _rms = New([1]);
        _qkv = New([1, 3 * d]);
        _attended = New([1, d]);
        _branch = New([1, d]);
        _hidden = New([1, config.FfnDim]);
        _preActivation = New([1, config.FfnDim]);
        _logits = New([1, config.VocabularySize]);
    }

    /// <summary>Tokens in the cache.</summary>
    public int Length { get; private set; }

    /// <summary>Empties the cache.</summary>
    public void Reset() => Length = 0;

    /// <summary>Appends <paramref name="token"/> and returns the logits [V] for the token after it.</summary>
    public float[] Append(int token)
    {
        var config = _model.Config;
        if (Length >= config.ContextLength) throw new InvalidOperationException($"the cache holds the full context of {config.ContextLength} tokens; Reset and re-append a shorter suffix");
        if ((uint)token >= (uint)config.VocabularySize) throw new ArgumentOutOfRangeException(nameof(token), $"token {token} is outside the vocabulary of {config.VocabularySize}");
        int d = config.ModelDim, position = Length;
        var p = _model.Parameters;
        _device.CopyFromHost<int>([token], _token);
        _device.CopyFromHost<int>([position], _position);
        _device.Embedding(p["embedding.weight"], _token, _x);
        _device.Embedding(config.Positions == PositionEncoding.Learned ? p["position.weight"] : _sinusoidal!, _position, _branch);
        _device.Add(_x, _branch, _x);
        for (int layer = 0; layer < config.LayerCount; layer++)
        {
            _device.RmsNorm(_x, p[SwitchLmParameters.Block(layer, "attention_norm.weight")], config.NormEpsilon, _normed, _rms);
            _device.Gemm(_normed, false, p[SwitchLmParameters.Block(layer, "attention.qkv.weight")], true, 1f, 0f, _qkv);
            var row = _qkv.Reshape(3 * d);
            _device.Copy(row.View(d, [d]), _keys[layer].View((long)position * d, [d]));
            _device.Copy(row.View(2 * d, [d]), _values[layer].View((long)position * d, [d]));
            _device.AttentionDecode(row.View(0, [d]), _keys[layer].Slice(0, position + 1), _values[layer].Slice(0, position + 1), config.HeadCount, _attended.Reshape(d));
            _device.Gemm(_attended, false, p[SwitchLmParameters.Block(layer, "attention.proj.weight")], true, 1f, 0f, _branch);
            _device.Add(_x, _branch, _x);
            _device.RmsNorm(_x, p[SwitchLmParameters.Block(layer, "ffn_norm.weight")], config.NormEpsilon, _normed, _rms);
            if (_switchLayers[layer] is { } switchLayer)
            {
                switchLayer.Forward(_normed, SwitchLayerWeights.From(p, SwitchLmParameters.Block(layer, "ffn.")), new SwitchPass(Training: false), _branch);
            }
            else
            {
                _device.Gemm(_normed, false, p[SwitchLmParameters.Block(layer, "ffn.w1")], true, 1f, 0f, _preActivation);
                if (config.Activation == ExpertActivation.Relu) _device.Relu(_preActivation, _hidden);
                else _device.Gelu(_preActivation, _hidden);
                _device.Gemm(_hidden, false, p[SwitchLmParameters.Block(layer, "ffn.w2")], true, 1f, 0f, _branch);
            }
            _device.Add(_x, _branch, _x);
        }
        _device.RmsNorm(_x, p["final_norm.weight"], config.NormEpsilon, _normed, _rms);
        _device.Gemm(_normed, false, config.TiedEmbeddings ? p["embedding.weight"] : p["lm_head.weight"], true, 1f, 0f, _logits);
        Length++;
        return _device.ToArray(_logits);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var tensor in _owned) tensor.Dispose();
        foreach (var layer in _switchLayers) layer?.Dispose();
        _sinusoidal?.Dispose();
    }
}
