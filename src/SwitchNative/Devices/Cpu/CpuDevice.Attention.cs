// CPU causal attention: one task per (batch, head). Within a task, each query row t does
// SIMD dot products with the keys j ≤ t, a stable softmax, and a weighted sum of values. A task
// writes only its own head's columns, so tasks never share an output element.
using System.Buffers;
using System.Numerics.Tensors;

namespace SwitchNative.Devices.Cpu;

public sealed unsafe partial class CpuDevice
{
    /// <inheritdoc/>
    protected override void CausalAttentionKernel(ReadOnlySpan<float> qkv, Span<float> attention, Span<float> output, int batch, int sequence, int modelDim, int headCount)
    {
        float* input = Pointer(qkv), probabilitiesStart = Pointer(attention), outputStart = Pointer(output);
        int headDim = modelDim / headCount, rowWidth = 3 * modelDim;
        float scale = 1f / MathF.Sqrt(headDim);
        _parallel.For(batch * headCount, task =>
        {
            int b = task / headCount, h = task % headCount;
            float* queries = input + (long)b * sequence * rowWidth + h * headDim;
            float* keys = queries + modelDim;
            float* values = queries + 2 * modelDim;
            for (int t = 0; t < sequence; t++)
            {
                var probabilities = Span(probabilitiesStart + ((long)task * sequence + t) * sequence, sequence);
                var query = Span(queries + (long)t * rowWidth, headDim);
                // s_j = q_t·k_j/√hd (j ≤ t), A_t = softmax(s), A_tj = 0 for j > t
                for (int j = 0; j <= t; j++) probabilities[j] = scale * TensorPrimitives.Dot(query, Span(keys + (long)j * rowWidth, headDim));
                SoftmaxRow(probabilities.Slice(0, t + 1), probabilities.Slice(0, t + 1), out _);
                probabilities.Slice(t + 1).Clear();
                // out_t = Σ_j A_tj v_j
                var result = Span(outputStart + ((long)b * sequence + t) * modelDim + h * headDim, headDim);
                result.Clear();
                for (int j = 0; j <= t; j++) TensorPrimitives.MultiplyAdd(Span(values + (long)j * rowWidth, headDim), probabilities[j], result, result);
            }
        });
    }

    /// <inheritdoc/>
    protected override void CausalAttentionBackwardKernel(ReadOnlySpan<float> qkv, ReadOnlySpan<float> attention, ReadOnlySpan<float> dOutput, Span<float> dQkv, int batch, int sequence, int modelDim, int headCount)
    {
        float* input = Pointer(qkv), probabilitiesStart = Pointer(attention), upstream = Pointer(dOutput), gradientStart = Pointer(dQkv);
        int headDim = modelDim / headCount, rowWidth = 3 * modelDim;
        float scale = 1f / MathF.Sqrt(headDim);
        _parallel.For(batch * headCount, task =>
        {
            int b = task / headCount, h = task % headCount;
            long headOffset = (long)b * sequence * rowWidth + h * headDim;
            float* queries = input + headOffset, keys = queries + modelDim, values = queries + 2 * modelDim;
            float* dQueries = gradientStart + headOffset, dKeys = dQueries + modelDim, dValues = dQueries + 2 * modelDim;
            for (int t = 0; t < sequence; t++)
            {
                Span(dQueries + (long)t * rowWidth, headDim).Clear();
                Span(dKeys + (long)t * rowWidth, headDim).Clear();
                Span(dValues + (long)t * rowWidth, headDim).Clear();
            }
            var scratch = ArrayPool<float>.Shared.Rent(sequence);
            try
            {
                for (int t = 0; t < sequence; t++)
                {
                    var probabilities = Span(probabilitiesStart + ((long)task * sequence + t) * sequence, t + 1);
                    var dOut = Span(upstream + ((long)b * sequence + t) * modelDim + h * headDim, headDim);
                    var dScores = scratch.AsSpan(0, t + 1);
                    // dA_tj = dout_t·v_j;  dv_j += A_tj·dout_t
                    for (int j = 0; j <= t; j++)
                    {
                        dScores[j] = TensorPrimitives.Dot(dOut, Span(values + (long)j * rowWidth, headDim));
                        var dValue = Span(dValues + (long)j * rowWidth, headDim);
                        TensorPrimitives.MultiplyAdd(dOut, probabilities[j], dValue, dValue);
                    }
                    // dS_tj = A_tj(dA_tj − ⟨A_t, dA_t⟩)/√hd;  dq_t += dS_tj k_j;  dk_j += dS_tj q_t
                    float weighted = TensorPrimitives.Dot(probabilities, dScores);
                    var query = Span(queries + (long)t * rowWidth, headDim);
                    var dQuery = Span(dQueries + (long)t * rowWidth, headDim);
                    for (int j = 0; j <= t; j++)
                    {
                        float dScore = probabilities[j] * (dScores[j] - weighted) * scale;
                        TensorPrimitives.MultiplyAdd(Span(keys + (long)j * rowWidth, headDim), dScore, dQuery, dQuery);
                        var dKey = Span(dKeys + (long)j * rowWidth, headDim);
                        TensorPrimitives.MultiplyAdd(query, dScore, dKey, dKey);
                    }
                }
            }
            finally
            {
                ArrayPool<float>.Shared.Return(scratch);
            }
        });
    }

    /// <inheritdoc/>
    protected override void AttentionDecodeKernel(ReadOnlySpan<float> query, ReadOnlySpan<float> keys, ReadOnlySpan<float> values, Span<float> output, int length, int modelDim, int headCount)
    {
        float* q = Pointer(query), k = Pointer(keys), v = Pointer(values), o = Pointer(output);
        int headDim = modelDim / headCount;
        float scale = 1f / MathF.Sqrt(headDim);
        _parallel.For(headCount, h =>
        {
            var scores = ArrayPool<float>.Shared.Rent(length);
            try
            {
                var weights = scores.AsSpan(0, length);
                var head = Span(q + h * headDim, headDim);
                for (int j = 0; j < length; j++) weights[j] = scale * TensorPrimitives.Dot(head, Span(k + (long)j * modelDim + h * headDim, headDim));
                SoftmaxRow(weights, weights, out _);
                var result = Span(o + h * headDim, headDim);
                result.Clear();
                for (int j = 0; j < length; j++) TensorPrimitives.MultiplyAdd(Span(v + (long)j * modelDim + h * headDim, headDim), weights[j], result, result);
            }
            finally
            {
                ArrayPool<float>.Shared.Return(scores);
            }
        });
    }
}
