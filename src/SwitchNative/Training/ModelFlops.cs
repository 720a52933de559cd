// Floating-point operations per trained token, for tokens/s → MFU. Counts matrix products
// only: 6 flops per weight a token uses (2 forward, 4 backward; k of the E experts), plus
// attention's q·kᵀ and A·v: 2·2·d flops per attended position forward, S/2 positions on
// average under the causal mask, ×3 with the backward = 6·S·d per token and layer.
using SwitchNative.Nn;

namespace SwitchNative.Training;

/// <summary>FLOPs per token of training.</summary>
public static class ModelFlops
{
    /// <summary>6·(active matrix weights) + 6·L·S·d (causal attention, half of the full S² products).</summary>
    public static double PerTrainingToken(SwitchLmConfig config)
    {
        double d = config.ModelDim, f = config.FfnDim;
        double active = config.VocabularySize * d; // LM head (tied or not, it is one product per token)
        for (int layer = 0; layer < config.LayerCount; layer++)
        {
            active += 4 * d * d; // qkv and projection
            active += config.IsSwitchBlock(layer) ? config.ExpertCount * d + config.TopK * 2 * d * f : 2 * d * f;
        }
        return 6 * active + 6.0 * config.LayerCount * config.ContextLength * d;
    }
}
