// Causal multi-head attention for ILGPU. Forward: one thread per (batch, head, query).
// Backward in three passes so that every output element has exactly one writer:
//   1. per (b, h, t): dS_tj = A_tj(dA_tj − Σ_j' A_tj' dA_tj')/√hd with dA_tj = dout_t·v_j
//   2. per (b, h, t): dq_t = Σ_j dS_tj k_j
//   3. per (b, h, j): dk_j = Σ_{t≥j} dS_tj q_t,  dv_j = Σ_{t≥j} A_tj dout_t
using ILGPU;

namespace SwitchNative.Ilgpu.Kernels;

/// <summary>B, S, D, H of an attention call.</summary>
internal readonly record struct AttentionArguments(int Batch, int Sequence, int ModelDim, int Heads)
{
    public int HeadDim => ModelDim / Heads;
}

internal static class AttentionKernels
{
    // Element i of head h's q, k or v (part 0, 1, 2) at token (b, t) in qkv [B, S, 3D].
    private static long At(AttentionArguments s, int b, int t, int part, int h, int i) => ((long)b * s.Sequence + t) * 3 * s.ModelDim + part * s.ModelDim + h * s.HeadDim + i;

    public static void Forward(Index1D index, ArrayView<float> qkv, ArrayView<float> attention, ArrayView<float> output, AttentionArguments s)
    {
        int t = (int)(index % s.Sequence), h = (int)(index / s.Sequence % s.Heads), b = (int)(index / s.Sequence / s.Heads);
        long rowStart = (long)index.X * s.Sequence;
        double scale = 1.0 / Math.Sqrt(s.HeadDim), max = double.NegativeInfinity;
        for (int j = 0; j <= t; j++)
        {
            double dot = 0;
            for (int i = 0; i < s.HeadDim; i++) dot += (double)qkv[At(s, b, t, 0, h, i)] * qkv[At(s, b, j, 1, h, i)];
            attention[rowStart + j] = (float)(dot * scale);
            max = Math.Max(max, dot * scale);
        }
        double sum = 0;
        for (int j = 0; j <= t; j++) sum += Math.Exp(attention[rowStart + j] - max);
        for (int j = 0; j < s.Sequence; j++) attention[rowStart + j] = j <= t ? (float)(Math.Exp(attention[rowStart + j] - max) / sum) : 0f;
        for (int i = 0; i < s.HeadDim; i++)
        {
            double value = 0;
            for (int j = 0; j <= t; j++) value += (double)attention[rowStart + j] * qkv[At(s, b, j, 2, h, i)];
            output[((long)b * s.Sequence + t) * s.ModelDim + h * s.HeadDim + i] = (float)value;
        }
    }

    public static void ScoreGradient(Index1D index, ArrayView<float> qkv, ArrayView<float> attention, ArrayView<float> dOutput, ArrayView<float> dScores, AttentionArguments s)
    {
        int t = (int)(index % s.Sequence), h = (int)(index / s.Sequence % s.Heads), b = (int)(index / s.Sequence / s.Heads);
        long rowStart = (long)index.X * s.Sequence;
        long outputStart = ((long)b * s.Sequence + t) * s.ModelDim + h * s.HeadDim;
        double weighted = 0;
        for (int j = 0; j <= t; j++)
        {
            double dot = 0;
            for (int i = 0; i < s.HeadDim; i++) dot += (double)dOutput[outputStart + i] * qkv[At(s, b, j, 2, h, i)];
            dScores[rowStart + j] = (float)dot;
            weighted += attention[rowStart + j] * dot;
        }
        double scale = 1.0 / Math.Sqrt(s.HeadDim);
        for (int j = 0; j < s.Sequence; j++)
            dScores[rowStart + j] = j <= t ? (float)(attention[rowStart + j] * (dScores[rowStart + j] - weighted) * scale) : 0f;
    }

    public static void QueryGradient(Index1D index, ArrayView<float> qkv, ArrayView<float> dScores, ArrayView<float> dQkv, AttentionArguments s)
    {
        int t = (int)(index % s.Sequence), h = (int)(index / s.Sequence % s.Heads), b = (int)(index / s.Sequence / s.Heads);
        long rowStart = (long)index.X * s.Sequence;
        for (int i = 0; i < s.HeadDim; i++)
        {
            double value = 0;
            for (int j = 0; j <= t; j++) value += (double)dScores[rowStart + j] * qkv[At(s, b, j, 1, h, i)];
            dQkv[At(s, b, t, 0, h, i)] = (float)value;
        }
    }

    public static void KeyValueGradient(Index1D index, ArrayView<float> qkv, ArrayView<float> attention, ArrayView<float> dOutput, ArrayView<float> dScores, ArrayView<float> dQkv, AttentionArguments s)
    {
        int j = (int)(index % s.Sequence), h = (int)(index / s.Sequence % s.Heads), b = (int)(index / s.Sequence / s.Heads);
        long headStart = ((long)b * s.Heads + h) * s.Sequence * s.Sequence;
        for (int i = 0; i < s.HeadDim; i++)
        {
            double key = 0, value = 0;
            for (int t = j; t < s.Sequence; t++)
            {
                long score = headStart + (long)t * s.Sequence + j;
                key += (double)dScores[score] * qkv[At(s, b, t, 0, h, i)];
                value += (double)attention[score] * dOutput[((long)b * s.Sequence + t) * s.ModelDim + h * s.HeadDim + i];
            }
            dQkv[At(s, b, j, 1, h, i)] = (float)key;
            dQkv[At(s, b, j, 2, h, i)] = (float)value;
        }
    }

    // One thread per head: softmax(q·kᵀ/√hd) over the L cached positions, times v.
    public static void Decode(Index1D head, ArrayView<float> query, ArrayView<float> keys, ArrayView<float> values, ArrayView<float> output, int length, int modelDim, int headDim)
    {
        double scale = 1.0 / Math.Sqrt(headDim), max = double.NegativeInfinity;
        for (int j = 0; j < length; j++)
        {
            double dot = 0;
            for (int i = 0; i < headDim; i++) dot += (double)query[head * headDim + i] * keys[(long)j * modelDim + head * headDim + i];
            max = Math.Max(max, dot * scale);
        }
        double sum = 0;
        for (int j = 0; j < length; j++)
        {
            double dot = 0;
            for (int i = 0; i < headDim; i++) dot += (double)query[head * headDim + i] * keys[(long)j * modelDim + head * headDim + i];
            sum += Math.Exp(dot * scale - max);
        }
        for (int i = 0; i < headDim; i++) output[head * headDim + i] = 0f;
        for (int j = 0; j < length; j++)
        {
            double dot = 0;
            for (int i = 0; i < headDim; i++) dot += (double)query[head * headDim + i] * keys[(long)j * modelDim + head * headDim + i];
            float weight = (float)(Math.Exp(dot * scale - max) / sum);
            for (int i = 0; i < headDim; i++) output[head * headDim + i] += weight * values[(long)j * modelDim + head * headDim + i];
        }
    }
}
