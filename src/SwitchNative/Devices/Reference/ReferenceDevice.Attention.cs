// Reference causal multi-head attention (the loops of llm.c's attention_forward/backward).
// Layout: qkv[b, t, :] = q (D) | k (D) | v (D); head h owns columns [h·hd, (h+1)·hd) of each.
namespace SwitchNative.Devices.Reference;

public sealed partial class ReferenceDevice
{
    /// <inheritdoc/>
    protected override void CausalAttentionKernel(ReadOnlySpan<float> qkv, Span<float> attention, Span<float> output, int batch, int sequence, int modelDim, int headCount)
    {
        int headDim = modelDim / headCount, rowWidth = 3 * modelDim;
        double scale = 1.0 / Math.Sqrt(headDim);
        for (int b = 0; b < batch; b++)
        for (int h = 0; h < headCount; h++)
        for (int t = 0; t < sequence; t++)
        {
            int query = (b * sequence + t) * rowWidth + h * headDim;
            var probabilities = attention.Slice(((b * headCount + h) * sequence + t) * sequence, sequence);
            // scores s_j = q_t·k_j/√hd for j ≤ t; softmax over them; A_tj = 0 for j > t.
            double max = double.NegativeInfinity;
            var scores = new double[t + 1];
            for (int j = 0; j <= t; j++)
            {
                int key = (b * sequence + j) * rowWidth + modelDim + h * headDim;
                double dot = 0;
                for (int i = 0; i < headDim; i++) dot += (double)qkv[query + i] * qkv[key + i];
                scores[j] = dot * scale;
                max = Math.Max(max, scores[j]);
            }
            double sum = 0;
            for (int j = 0; j <= t; j++) sum += Math.Exp(scores[j] - max);
            for (int j = 0; j < sequence; j++) probabilities[j] = j <= t ? (float)(Math.Exp(scores[j] - max) / sum) : 0f;
            // out_t = Σ_j A_tj v_j
            int outputStart = (b * sequence + t) * modelDim + h * headDim;
            for (int i = 0; i < headDim; i++)
            {
                double value = 0;
                for (int j = 0; j <= t; j++) value += (double)probabilities[j] * qkv[(b * sequence + j) * rowWidth + 2 * modelDim + h * headDim + i];
                output[outputStart + i] = (float)value;
            }
        }
    }

    /// <inheritdoc/>
    protected override void CausalAttentionBackwardKernel(ReadOnlySpan<float> qkv, ReadOnlySpan<float> attention, ReadOnlySpan<float> dOutput, Span<float> dQkv, int batch, int sequence, int modelDim, int headCount)
    {
        int headDim = modelDim / headCount, rowWidth = 3 * modelDim;
        double scale = 1.0 / Math.Sqrt(headDim);
        var gradient = new double[dQkv.Length];
        for (int b = 0; b < batch; b++)
        for (int h = 0; h < headCount; h++)
        for (int t = 0; t < sequence; t++)
        {
            var probabilities = attention.Slice(((b * headCount + h) * sequence + t) * sequence, sequence);
            int query = (b * sequence + t) * rowWidth + h * headDim;
            int dOutputStart = (b * sequence + t) * modelDim + h * headDim;
            // dA_tj = dout_t·v_j; dv_j += A_tj·dout_t.
            var dProbabilities = new double[t + 1];
            double weighted = 0;
            for (int j = 0; j <= t; j++)
            {
                int value = (b * sequence + j) * rowWidth + 2 * modelDim + h * headDim;
                double dot = 0;
                for (int i = 0; i < headDim; i++)
                {
                    dot += (double)dOutput[dOutputStart + i] * qkv[value + i];
                    gradient[value + i] += (double)probabilities[j] * dOutput[dOutputStart + i];
                }
                dProbabilities[j] = dot;
                weighted += probabilities[j] * dot;
            }
            // dS_tj = A_tj(dA_tj − Σ_j' A_tj' dA_tj'); dq_t += dS_tj k_j/√hd; dk_j += dS_tj q_t/√hd.
            for (int j = 0; j <= t; j++)
            {
                double dScore = probabilities[j] * (dProbabilities[j] - weighted) * scale;
                int key = (b * sequence + j) * rowWidth + modelDim + h * headDim;
                for (int i = 0; i < headDim; i++)
                {
                    gradient[query + i] += dScore * qkv[key + i];
                    gradient[key + i] += dScore * qkv[query + i];
                }
            }
        }
        for (int i = 0; i < dQkv.Length; i++) dQkv[i] = (float)gradient[i];
    }

    /// <inheritdoc/>
    protected override void AttentionDecodeKernel(ReadOnlySpan<float> query, ReadOnlySpan<float> keys, ReadOnlySpan<float> values, Span<float> output, int length, int modelDim, int headCount)
    {
        int headDim = modelDim / headCount;
        double scale = 1.0 / Math.Sqrt(headDim);
        var scores = new double[length];
        for (int h = 0; h < headCount; h++)
        {
            double max = double.NegativeInfinity, sum = 0;
            for (int j = 0; j < length; j++)
            {
                double dot = 0;
                for (int i = 0; i < headDim; i++) dot += (double)query[h * headDim + i] * keys[j * modelDim + h * headDim + i];
                scores[j] = dot * scale;
                max = Math.Max(max, scores[j]);
            }
            for (int j = 0; j < length; j++) sum += scores[j] = Math.Exp(scores[j] - max);
            for (int i = 0; i < headDim; i++)
            {
                double value = 0;
                for (int j = 0; j < length; j++) value += scores[j] / sum * values[j * modelDim + h * headDim + i];
                output[h * headDim + i] = (float)value;
            }
        }
    }
}
