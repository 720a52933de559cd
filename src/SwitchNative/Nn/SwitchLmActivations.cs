// The buffers one forward/backward pass of the language model needs for a batch of B × S
// tokens (T = B·S): what each block saves for its backward, and scratch for the gradients.
// Allocated once per batch shape and reused step after step.
using SwitchNative.Devices;
using SwitchNative.Tensors;

namespace SwitchNative.Nn;

internal sealed class SwitchLmActivations : IDisposable
{
    private readonly List<Tensor> _owned = new();

    public SwitchLmActivations(IDevice device, SwitchLmConfig config, int batch, int sequence)
    {
        Batch = batch;
        Sequence = sequence;
        int t = batch * sequence, d = config.ModelDim, f = config.FfnDim, v = config.VocabularySize, h = config.HeadCount;
        Tensor New(Shape shape, DType dtype = DType.F32)
        {
            var tensor = device.Allocate(shape, dtype);
            _owned.Add(tensor);
            return tensor;
        }
        Tokens = New([t], DType.I32);
        Targets = New([t], DType.I32);
        PositionIds = New([t], DType.I32);
        device.CopyFromHost<int>(Enumerable.Range(0, t).Select(i => i % sequence).ToArray(), PositionIds);
        Residual = Enumerable.Range(0, config.LayerCount + 1).Select(_ => New([t, d])).ToArray();
        Middle = Enumerable.Range(0, config.LayerCount).Select(_ => New([t, d])).ToArray();
        AttentionNormed = Enumerable.Range(0, config.LayerCount).Select(_ => New([t, d])).ToArray();
        AttentionRms = Enumerable.Range(0, config.LayerCount).Select(_ => New([t])).ToArray();
        Qkv = Enumerable.Range(0, config.LayerCount).Select(_ => New([t, 3 * d])).ToArray();
        AttentionProbabilities = Enumerable.Range(0, config.LayerCount).Select(_ => New([batch, h, sequence, sequence])).ToArray();
        Attended = Enumerable.Range(0, config.LayerCount).Select(_ => New([t, d])).ToArray();
        FfnNormed = Enumerable.Range(0, config.LayerCount).Select(_ => New([t, d])).ToArray();
        FfnRms = Enumerable.Range(0, config.LayerCount).Select(_ => New([t])).ToArray();
        PreActivation = Enumerable.Range(0, config.LayerCount).Select(layer => config.IsSwitchBlock(layer) ? null : New([t, f])).ToArray();
        Hidden = Enumerable.Range(0, config.LayerCount).Select(layer => config.IsSwitchBlock(layer) ? null : New([t, f])).ToArray();
        if (config.Dropout > 0)
        {
            AttentionMask = Enumerable.Range(0, config.LayerCount).Select(_ => New([t, d])).ToArray();
            FfnMask = Enumerable.Range(0, config.LayerCount).Select(_ => New([t, d])).ToArray();
        }
        FinalNormed = New([t, d]);
        FinalRms = New([t]);
        Logits = New([t, v]);
        Probabilities = New([t, v]);
        Losses = New([t]);
        Scalar = New([1]);
        Branch = New([t, d]);
        Gradient = New([t, d]);
        BranchGradient = New([t, d]);
        NormGradient = New([t, d]);
        QkvGradient = New([t, 3 * d]);
        HiddenGradient = New([t, f]);
    }

    public int Batch { get; }
    public int Sequence { get; }
    public Tensor Tokens { get; }
    public Tensor Targets { get; }
    public Tensor PositionIds { get; }
    /// <summary>x_l, the residual stream entering block l (x_L leaves the last block).</summary>
    public Tensor[] Residual { get; }
    /// <summary>x_l + attention branch, entering the FFN half of block l.</summary>
    public Tensor[] Middle { get; }
    public Tensor[] AttentionNormed { get; }
    public Tensor[] AttentionRms { get; }
    public Tensor[] Qkv { get; }
    public Tensor[] AttentionProbabilities { get; }
    public Tensor[] Attended { get; }
    public Tensor[] FfnNormed { get; }
    public Tensor[] FfnRms { get; }
    public Tensor?[] PreActivation { get; }
    public Tensor?[] Hidden { get; }
    public Tensor[]? AttentionMask { get; }
    public Tensor[]? FfnMask { get; }
    public Tensor FinalNormed { get; }
    public Tensor FinalRms { get; }
    public Tensor Logits { get; }
    public Tensor Probabilities { get; }
    public Tensor Losses { get; }
    public Tensor Scalar { get; }
    public Tensor Branch { get; }
    public Tensor Gradient { get; }
    public Tensor BranchGradient { get; }
    public Tensor NormGradient { get; }
    public Tensor QkvGradient { get; }
    public Tensor HiddenGradient { get; }

    public void Dispose()
    {
        foreach (var tensor in _owned) tensor.Dispose();
    }
}
