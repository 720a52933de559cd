// The three weight tensors of a Switch layer, in PyTorch [out, in] layout with checkpoint names.
using SwitchNative.Tensors;

namespace SwitchNative.Nn;

/// <summary>router.weight [E, d], experts.w1 [E, f, d], experts.w2 [E, d, f] (or their gradients).</summary>
public sealed record SwitchLayerWeights(Tensor RouterWeight, Tensor ExpertsW1, Tensor ExpertsW2)
{
    /// <summary>Checkpoint names (prefixed, e.g. "blocks.1.ffn.") and shapes, in storage order.</summary>
    public static IEnumerable<(string Name, Shape Shape)> Layout(SwitchLayerSettings settings, string prefix = "")
    {
        yield return (prefix + "router.weight", new Shape(settings.ExpertCount, settings.ModelDim));
        yield return (prefix + "experts.w1", new Shape(settings.ExpertCount, settings.FfnDim, settings.ModelDim));
        yield return (prefix + "experts.w2", new Shape(settings.ExpertCount, settings.ModelDim, settings.FfnDim));
    }

    /// <summary>The layer's views in a tensor set laid out by <see cref="Layout"/>.</summary>
    public static SwitchLayerWeights From(TensorSet set, string prefix = "") =>
        new(set[prefix + "router.weight"], set[prefix + "experts.w1"], set[prefix + "experts.w2"]);
}
