// The parameter layout of the Switch language model (names as in checkpoints) and its init.
// Weight-decayed tensors come first and norm gains last, so an optimizer can decay a prefix
// of the flat buffer and leave the gains alone.
using SwitchNative.Devices;
using SwitchNative.Tensors;

namespace SwitchNative.Nn;

/// <summary>Names, shapes and initialization of the model's parameters.</summary>
public static class SwitchLmParameters
{
    /// <summary>Checkpoint name of block <paramref name="layer"/>'s tensor <paramref name="name"/>.</summary>
    public static string Block(int layer, string name) => $"blocks.{layer}.{name}";

    /// <summary>(name, shape) in storage order: decayed matrices, then the norm gains.</summary>
    public static List<(string Name, Shape Shape)> Layout(SwitchLmConfig config)
    {
        int v = config.VocabularySize, s = config.ContextLength, d = config.ModelDim, f = config.FfnDim;
        var layout = new List<(string, Shape)> { ("embedding.weight", new Shape(v, d)) };
        if (config.Positions == PositionEncoding.Learned) layout.Add(("position.weight", new Shape(s, d)));
        for (int layer = 0; layer < config.LayerCount; layer++)
        {
            layout.Add((Block(layer, "attention.qkv.weight"), new Shape(3 * d, d)));
            layout.Add((Block(layer, "attention.proj.weight"), new Shape(d, d)));
            if (config.IsSwitchBlock(layer)) layout.AddRange(SwitchLayerWeights.Layout(config.SwitchSettings, Block(layer, "ffn.")));
            else
            {
                layout.Add((Block(layer, "ffn.w1"), new Shape(f, d)));
                layout.Add((Block(layer, "ffn.w2"), new Shape(d, f)));
            }
        }
        if (!config.TiedEmbeddings) layout.Add(("lm_head.weight", new Shape(v, d)));
        layout.AddRange(NormLayout(config));
        return layout;
    }

    /// <summary>The norm gains (not weight-decayed), which end the layout.</summary>
    public static IEnumerable<(string Name, Shape Shape)> NormLayout(SwitchLmConfig config)
    {
        for (int layer = 0; layer < config.LayerCount; layer++)
        {
            yield return (Block(layer, "attention_norm.weight"), new Shape(config.ModelDim));
            yield return (Block(layer, "ffn_norm.weight"), new Shape(config.ModelDim));
        }
        yield return ("final_norm.weight", new Shape(config.ModelDim));
    }

    /// <summary>Number of leading elements of the flat buffer that weight decay applies to.</summary>
    public static long DecayedElementCount(SwitchLmConfig config) =>
        Layout(config).SkipLast(2 * config.LayerCount + 1).Sum(entry => entry.Shape.ElementCount);

    /// <summary>
    /// Matrices ~ truncated normal, σ = √(s / fan_in) with fan_in the input (last) dimension,
    /// re-drawn beyond 2σ (paper §2.4); norm gains = 1. Tensor i uses Philox stream i.
    /// </summary>
    public static void Initialize(IDevice device, TensorSet parameters, SwitchLmConfig config, ulong seed)
    {
        var norms = NormLayout(config).Select(entry => entry.Name).ToHashSet();
        uint stream = 0;
        foreach (var (name, tensor) in parameters.Entries)
        {
            stream++;
            if (norms.Contains(name))
            {
                device.Fill(1f, tensor);
                continue;
            }
            int fanIn = tensor.Shape[-1];
            device.FillTruncatedNormal(seed, stream, 0f, (float)Math.Sqrt(config.InitScale / fanIn), tensor);
        }
    }

    /// <summary>The fixed sinusoidal table [S, d]: PE[p, 2i] = sin(p / 10000^(2i/d)), PE[p, 2i+1] = cos(…).</summary>
    public static float[] SinusoidalTable(int positions, int modelDim)
    {
        var table = new float[positions * modelDim];
        for (int p = 0; p < positions; p++)
            for (int i = 0; i < modelDim / 2; i++)
            {
                double angle = p / Math.Pow(10000, 2.0 * i / modelDim);
                table[p * modelDim + 2 * i] = (float)Math.Sin(angle);
                table[p * modelDim + 2 * i + 1] = (float)Math.Cos(angle);
            }
        return table;
    }
}
