// Backward of SwitchLm.Forward, block by block in reverse. Activation gradients are written;
// the residual-stream gradient dx is carried and added to; parameter gradients accumulate.
namespace SwitchNative.Nn;

public sealed partial class SwitchLm
{
    /// <summary>
    /// Backward of the last forward pass. The cross-entropy enters with weight
    /// <paramref name="crossEntropyScale"/> per counted token (1/N for the mean over N tokens) and each
    /// Switch layer's aux and z losses with <paramref name="moeLossWeight"/> (1/number of Switch layers,
    /// divided further when gradients are accumulated over micro-batches).
    /// </summary>
    public void Backward(float crossEntropyScale, float moeLossWeight)
    {
        var a = _activations ?? throw new InvalidOperationException("Backward needs a Forward first");
        int d = Config.ModelDim;
        var dx = a.Gradient;

        // Head: dlogits = scale·(p − onehot); the probabilities buffer is reused for dlogits.
        _device.SoftmaxCrossEntropyBackward(a.Probabilities, a.Targets, IgnoreIndex, crossEntropyScale, a.Probabilities);
        var dHead = Config.TiedEmbeddings ? Gradients["embedding.weight"] : Gradients["lm_head.weight"];
        _device.Gemm(a.Probabilities, true, a.FinalNormed, false, 1f, 1f, dHead);
        _device.Gemm(a.Probabilities, false, HeadWeight, false, 1f, 0f, a.NormGradient);
        _device.RmsNormBackward(a.Residual[Config.LayerCount], Weight("final_norm.weight"), a.FinalRms, a.NormGradient, dx, Gradients["final_norm.weight"]);

        for (int layer = Config.LayerCount - 1; layer >= 0; layer--)
        {
            // x_{l+1} = m_l + drop(FFN(RMSNorm(m_l))).
            var dBranch = dx;
            if (a.FfnMask is { } ffnMask)
            {
                _device.Multiply(dx, ffnMask[layer], a.BranchGradient);
                dBranch = a.BranchGradient;
            }
            if (_switchLayers[layer] is { } switchLayer)
            {
                switchLayer.Backward(dBranch, SwitchWeights(Parameters, layer), SwitchWeights(Gradients, layer), a.NormGradient, moeLossWeight);
            }
            else
            {
                _device.Gemm(dBranch, true, a.Hidden[layer]!, false, 1f, 1f, Gradients[SwitchLmParameters.Block(layer, "ffn.w2")]);
                _device.Gemm(dBranch, false, Weight(SwitchLmParameters.Block(layer, "ffn.w2")), false, 1f, 0f, a.HiddenGradient);
                if (Config.Activation == ExpertActivation.Relu) _device.ReluBackward(a.PreActivation[layer]!, a.HiddenGradient, a.HiddenGradient);
                else _device.GeluBackward(a.PreActivation[layer]!, a.HiddenGradient, a.HiddenGradient);
                _device.Gemm(a.HiddenGradient, true, a.FfnNormed[layer], false, 1f, 1f, Gradients[SwitchLmParameters.Block(layer, "ffn.w1")]);
                _device.Gemm(a.HiddenGradient, false, Weight(SwitchLmParameters.Block(layer, "ffn.w1")), false, 1f, 0f, a.NormGradient);
            }
            _device.RmsNormBackward(a.Middle[layer], Weight(SwitchLmParameters.Block(layer, "ffn_norm.weight")), a.FfnRms[layer], a.NormGradient, a.Branch, Gradients[SwitchLmParameters.Block(layer, "ffn_norm.weight")]);
            _device.Add(dx, a.Branch, dx);

            // m_l = x_l + drop(Attention(RMSNorm(x_l))·W_projᵀ).
            dBranch = dx;
            if (a.AttentionMask is { } attentionMask)
            {
                _device.Multiply(dx, attentionMask[layer], a.BranchGradient);
                dBranch = a.BranchGradient;
            }
            _device.Gemm(dBranch, true, a.Attended[layer], false, 1f, 1f, Gradients[SwitchLmParameters.Block(layer, "attention.proj.weight")]);
            _device.Gemm(dBranch, false, Weight(SwitchLmParameters.Block(layer, "attention.proj.weight")), false, 1f, 0f, a.NormGradient);
            _device.CausalAttentionBackward(a.Qkv[layer].Reshape(a.Batch, a.Sequence, 3 * d), a.AttentionProbabilities[layer], a.NormGradient.Reshape(a.Batch, a.Sequence, d), Config.HeadCount, a.QkvGradient.Reshape(a.Batch, a.Sequence, 3 * d));
            _device.Gemm(a.QkvGradient, true, a.AttentionNormed[layer], false, 1f, 1f, Gradients[SwitchLmParameters.Block(layer, "attention.qkv.weight")]);
            _device.Gemm(a.QkvGradient, false, Weight(SwitchLmParameters.Block(layer, "attention.qkv.weight")), false, 1f, 0f, a.NormGradient);
            _device.RmsNormBackward(a.Residual[layer], Weight(SwitchLmParameters.Block(layer, "attention_norm.weight")), a.AttentionRms[layer], a.NormGradient, a.Branch, Gradients[SwitchLmParameters.Block(layer, "attention_norm.weight")]);
            _device.Add(dx, a.Branch, dx);
        }

        _device.EmbeddingBackward(a.Tokens, dx, Gradients["embedding.weight"]);
        if (Config.Positions == PositionEncoding.Learned) _device.EmbeddingBackward(a.PositionIds, dx, Gradients["position.weight"]);
    }
}
