// The public ops of a host device: validate, map tensors to spans, call the device's kernel.
// The kernels (abstract, below each op) receive dense spans and plain sizes only.
using SwitchNative.Tensors;

namespace SwitchNative.Devices.Host;

public abstract partial class HostDevice
{
    /// <inheritdoc/>
    public void Gemm(Tensor a, bool transposeA, Tensor b, bool transposeB, float alpha, float beta, Tensor c)
    {
        var (m, n, k) = OpChecks.Gemm(this, a, transposeA, b, transposeB, c);
        GemmKernel(View<float>(a), transposeA, View<float>(b), transposeB, alpha, beta, View<float>(c), m, n, k);
    }

    /// <summary>C[M,N] = α·op(A)·op(B) + β·C over dense row-major spans.</summary>
    protected abstract void GemmKernel(ReadOnlySpan<float> a, bool transposeA, ReadOnlySpan<float> b, bool transposeB, float alpha, float beta, Span<float> c, int m, int n, int k);

    /// <inheritdoc/>
    public void Add(Tensor a, Tensor b, Tensor destination) => Binary(a, b, destination, BinaryOp.Add);

    /// <inheritdoc/>
    public void Multiply(Tensor a, Tensor b, Tensor destination) => Binary(a, b, destination, BinaryOp.Multiply);

    private void Binary(Tensor a, Tensor b, Tensor destination, BinaryOp op)
    {
        OpChecks.SameCount(a, nameof(a), b, nameof(b));
        OpChecks.SameCount(a, nameof(a), destination, nameof(destination));
        BinaryKernel(op, F32(a, nameof(a)), F32(b, nameof(b)), F32(destination, nameof(destination)));
    }

    /// <summary>The element-wise binary ops.</summary>
    protected enum BinaryOp
    {
        /// <summary>a + b</summary>
        Add,
        /// <summary>a · b</summary>
        Multiply,
    }

    /// <summary>destination[i] = a[i] op b[i].</summary>
    protected abstract void BinaryKernel(BinaryOp op, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> destination);

    /// <inheritdoc/>
    public void Scale(Tensor x, float alpha, Tensor destination)
    {
        OpChecks.SameCount(x, nameof(x), destination, nameof(destination));
        ScaleKernel(F32(x, nameof(x)), alpha, F32(destination, nameof(destination)));
    }

    /// <summary>destination = α·x.</summary>
    protected abstract void ScaleKernel(ReadOnlySpan<float> x, float alpha, Span<float> destination);

    /// <inheritdoc/>
    public void Axpy(Tensor x, float alpha, Tensor y)
    {
        OpChecks.SameCount(x, nameof(x), y, nameof(y));
        AxpyKernel(F32(x, nameof(x)), alpha, F32(y, nameof(y)));
    }

    /// <summary>y += α·x.</summary>
    protected abstract void AxpyKernel(ReadOnlySpan<float> x, float alpha, Span<float> y);

    /// <inheritdoc/>
    public void Relu(Tensor x, Tensor y) => Activation(x, y, ActivationOp.Relu);

    /// <inheritdoc/>
    public void Gelu(Tensor x, Tensor y) => Activation(x, y, ActivationOp.Gelu);

    /// <inheritdoc/>
    public void ReluBackward(Tensor x, Tensor dy, Tensor dx) => ActivationBackward(x, dy, dx, ActivationOp.Relu);

    /// <inheritdoc/>
    public void GeluBackward(Tensor x, Tensor dy, Tensor dx) => ActivationBackward(x, dy, dx, ActivationOp.Gelu);

    /// <summary>The element-wise activations.</summary>
    protected enum ActivationOp
    {
        /// <summary>max(x, 0)</summary>
        Relu,
        /// <summary>GELU, tanh approximation</summary>
        Gelu,
    }

    private void Activation(Tensor x, Tensor y, ActivationOp op)
    {
        OpChecks.SameCount(x, nameof(x), y, nameof(y));
        ActivationKernel(op, F32(x, nameof(x)), F32(y, nameof(y)));
    }

    private void ActivationBackward(Tensor x, Tensor dy, Tensor dx, ActivationOp op)
    {
        OpChecks.SameCount(x, nameof(x), dy, nameof(dy));
        OpChecks.SameCount(x, nameof(x), dx, nameof(dx));
        ActivationBackwardKernel(op, F32(x, nameof(x)), F32(dy, nameof(dy)), F32(dx, nameof(dx)));
    }

    /// <summary>y = act(x).</summary>
    protected abstract void ActivationKernel(ActivationOp op, ReadOnlySpan<float> x, Span<float> y);

    /// <summary>dx = dy · act'(x).</summary>
    protected abstract void ActivationBackwardKernel(ActivationOp op, ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx);

    /// <inheritdoc/>
    public void Softmax(Tensor x, Tensor y)
    {
        OpChecks.SameShape(x, nameof(x), y, nameof(y));
        SoftmaxKernel(F32(x, nameof(x)), F32(y, nameof(y)), x.Shape.LastDimension);
    }

    /// <summary>Row-wise softmax over rows of <paramref name="columns"/> elements.</summary>
    protected abstract void SoftmaxKernel(ReadOnlySpan<float> x, Span<float> y, int columns);

    /// <inheritdoc/>
    public void SoftmaxBackward(Tensor y, Tensor dy, Tensor dx)
    {
        OpChecks.SameShape(y, nameof(y), dy, nameof(dy));
        OpChecks.SameShape(y, nameof(y), dx, nameof(dx));
        SoftmaxBackwardKernel(F32(y, nameof(y)), F32(dy, nameof(dy)), F32(dx, nameof(dx)), y.Shape.LastDimension);
    }

    /// <summary>dx = y(dy − Σ y·dy) per row.</summary>
    protected abstract void SoftmaxBackwardKernel(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, int columns);

    /// <inheritdoc/>
    public void RmsNorm(Tensor x, Tensor weight, float epsilon, Tensor y, Tensor reciprocalRms)
    {
        int columns = OpChecks.RmsNorm(x, weight, y, reciprocalRms);
        RmsNormKernel(F32(x, nameof(x)), F32(weight, nameof(weight)), epsilon, F32(y, nameof(y)), F32(reciprocalRms, nameof(reciprocalRms)), columns);
    }

    /// <summary>RMSNorm forward over rows of <paramref name="columns"/>.</summary>
    protected abstract void RmsNormKernel(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, float epsilon, Span<float> y, Span<float> reciprocalRms, int columns);

    /// <inheritdoc/>
    public void RmsNormBackward(Tensor x, Tensor weight, Tensor reciprocalRms, Tensor dy, Tensor dx, Tensor dWeight)
    {
        int columns = OpChecks.RmsNormBackward(x, weight, reciprocalRms, dy, dx, dWeight);
        RmsNormBackwardKernel(F32(x, nameof(x)), F32(weight, nameof(weight)), F32(reciprocalRms, nameof(reciprocalRms)), F32(dy, nameof(dy)), F32(dx, nameof(dx)), F32(dWeight, nameof(dWeight)), columns);
    }

    /// <summary>RMSNorm backward; dWeight accumulates.</summary>
    protected abstract void RmsNormBackwardKernel(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> reciprocalRms, ReadOnlySpan<float> dy, Span<float> dx, Span<float> dWeight, int columns);

    /// <inheritdoc/>
    public void LayerNorm(Tensor x, Tensor weight, Tensor bias, float epsilon, Tensor y, Tensor mean, Tensor reciprocalStd)
    {
        int columns = OpChecks.LayerNorm(x, weight, bias, y, mean, reciprocalStd);
        LayerNormKernel(F32(x, nameof(x)), F32(weight, nameof(weight)), F32(bias, nameof(bias)), epsilon, F32(y, nameof(y)), F32(mean, nameof(mean)), F32(reciprocalStd, nameof(reciprocalStd)), columns);
    }

    /// <summary>LayerNorm forward over rows of <paramref name="columns"/>.</summary>
    protected abstract void LayerNormKernel(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, float epsilon, Span<float> y, Span<float> mean, Span<float> reciprocalStd, int columns);

    /// <inheritdoc/>
    public void LayerNormBackward(Tensor x, Tensor weight, Tensor mean, Tensor reciprocalStd, Tensor dy, Tensor dx, Tensor dWeight, Tensor dBias)
    {
        int columns = OpChecks.LayerNormBackward(x, weight, mean, reciprocalStd, dy, dx, dWeight, dBias);
        LayerNormBackwardKernel(F32(x, nameof(x)), F32(weight, nameof(weight)), F32(mean, nameof(mean)), F32(reciprocalStd, nameof(reciprocalStd)), F32(dy, nameof(dy)), F32(dx, nameof(dx)), F32(dWeight, nameof(dWeight)), F32(dBias, nameof(dBias)), columns);
    }

    /// <summary>LayerNorm backward; dWeight and dBias accumulate.</summary>
    protected abstract void LayerNormBackwardKernel(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> mean, ReadOnlySpan<float> reciprocalStd, ReadOnlySpan<float> dy, Span<float> dx, Span<float> dWeight, Span<float> dBias, int columns);

    /// <inheritdoc/>
    public void Embedding(Tensor table, Tensor ids, Tensor y)
    {
        OpChecks.HasShape(table, nameof(table), -1, -1);
        int vocabulary = table.Shape[0], width = table.Shape[1];
        OpChecks.HasShape(y, nameof(y), ids.ElementCount, width);
        var tokens = I32(ids, nameof(ids));
        OpChecks.TokenIds(tokens, vocabulary);
        EmbeddingKernel(F32(table, nameof(table)), tokens, F32(y, nameof(y)), width);
    }

    /// <summary>Gathers rows of the table.</summary>
    protected abstract void EmbeddingKernel(ReadOnlySpan<float> table, ReadOnlySpan<int> ids, Span<float> y, int width);

    /// <inheritdoc/>
    public void EmbeddingBackward(Tensor ids, Tensor dy, Tensor dTable)
    {
        OpChecks.HasShape(dTable, nameof(dTable), -1, -1);
        int vocabulary = dTable.Shape[0], width = dTable.Shape[1];
        OpChecks.HasShape(dy, nameof(dy), ids.ElementCount, width);
        var tokens = I32(ids, nameof(ids));
        OpChecks.TokenIds(tokens, vocabulary);
        EmbeddingBackwardKernel(tokens, F32(dy, nameof(dy)), F32(dTable, nameof(dTable)), width);
    }

    /// <summary>Scatter-adds rows of dy into dTable.</summary>
    protected abstract void EmbeddingBackwardKernel(ReadOnlySpan<int> ids, ReadOnlySpan<float> dy, Span<float> dTable, int width);


    /// <inheritdoc/>
    public void SoftmaxCrossEntropy(Tensor logits, Tensor targets, int ignoreIndex, Tensor probabilities, Tensor losses)
    {
        OpChecks.SoftmaxCrossEntropy(logits, targets, probabilities, losses);
        var labels = I32(targets, nameof(targets));
        OpChecks.Targets(labels, ignoreIndex, logits.Shape[1]);
        SoftmaxCrossEntropyKernel(F32(logits, nameof(logits)), labels, ignoreIndex, F32(probabilities, nameof(probabilities)), F32(losses, nameof(losses)), logits.Shape[1]);
    }

    /// <summary>Fused softmax + cross-entropy forward.</summary>
    protected abstract void SoftmaxCrossEntropyKernel(ReadOnlySpan<float> logits, ReadOnlySpan<int> targets, int ignoreIndex, Span<float> probabilities, Span<float> losses, int vocabulary);

    /// <inheritdoc/>
    public void SoftmaxCrossEntropyBackward(Tensor probabilities, Tensor targets, int ignoreIndex, float scale, Tensor dLogits)
    {
        OpChecks.SoftmaxCrossEntropyBackward(probabilities, targets, dLogits);
        var labels = I32(targets, nameof(targets));
        OpChecks.Targets(labels, ignoreIndex, probabilities.Shape[1]);
        SoftmaxCrossEntropyBackwardKernel(F32(probabilities, nameof(probabilities)), labels, ignoreIndex, scale, F32(dLogits, nameof(dLogits)), probabilities.Shape[1]);
    }

    /// <summary>dLogits = scale·(p − onehot).</summary>
    protected abstract void SoftmaxCrossEntropyBackwardKernel(ReadOnlySpan<float> probabilities, ReadOnlySpan<int> targets, int ignoreIndex, float scale, Span<float> dLogits, int vocabulary);


    /// <inheritdoc/>
    public void CausalAttention(Tensor qkv, int headCount, Tensor attention, Tensor output)
    {
        var (batch, sequence, modelDim, _) = OpChecks.Attention(this, qkv, headCount, attention, output);
        CausalAttentionKernel(View<float>(qkv), View<float>(attention), View<float>(output), batch, sequence, modelDim, headCount);
    }

    /// <summary>Causal multi-head attention forward.</summary>
    protected abstract void CausalAttentionKernel(ReadOnlySpan<float> qkv, Span<float> attention, Span<float> output, int batch, int sequence, int modelDim, int headCount);

    /// <inheritdoc/>
    public void CausalAttentionBackward(Tensor qkv, Tensor attention, Tensor dOutput, int headCount, Tensor dQkv)
    {
        var (batch, sequence, modelDim, _) = OpChecks.Attention(this, qkv, headCount, attention, dOutput);
        OpChecks.SameShape(qkv, nameof(qkv), dQkv, nameof(dQkv));
        CausalAttentionBackwardKernel(View<float>(qkv), View<float>(attention), View<float>(dOutput), F32(dQkv, nameof(dQkv)), batch, sequence, modelDim, headCount);
    }

    /// <summary>Causal multi-head attention backward; dQkv is written.</summary>
    protected abstract void CausalAttentionBackwardKernel(ReadOnlySpan<float> qkv, ReadOnlySpan<float> attention, ReadOnlySpan<float> dOutput, Span<float> dQkv, int batch, int sequence, int modelDim, int headCount);

    /// <inheritdoc/>
    public void AttentionDecode(Tensor query, Tensor keys, Tensor values, int headCount, Tensor output)
    {
        var (length, modelDim) = OpChecks.AttentionDecode(query, keys, values, headCount, output);
        AttentionDecodeKernel(F32(query, nameof(query)), F32(keys, nameof(keys)), F32(values, nameof(values)), F32(output, nameof(output)), length, modelDim, headCount);
    }

    /// <summary>Single-query attention over a cache of <paramref name="length"/> positions.</summary>
    protected abstract void AttentionDecodeKernel(ReadOnlySpan<float> query, ReadOnlySpan<float> keys, ReadOnlySpan<float> values, Span<float> output, int length, int modelDim, int headCount);

    /// <inheritdoc/>
    public void AdamW(Tensor gradients, AdamWSettings settings, int step, Tensor parameters, Tensor firstMoment, Tensor secondMoment)
    {
        OpChecks.AdamW(gradients, step, parameters, firstMoment, secondMoment);
        AdamWKernel(F32(gradients, nameof(gradients)), settings, step, F32(parameters, nameof(parameters)), F32(firstMoment, nameof(firstMoment)), F32(secondMoment, nameof(secondMoment)));
    }

    /// <summary>One AdamW step over flat spans.</summary>
    protected abstract void AdamWKernel(ReadOnlySpan<float> gradients, AdamWSettings settings, int step, Span<float> parameters, Span<float> firstMoment, Span<float> secondMoment);

    /// <inheritdoc/>
    public void Sum(Tensor x, Tensor destination) => Reduce(x, destination, ReductionOp.Sum);

    /// <inheritdoc/>
    public void SumOfSquares(Tensor x, Tensor destination) => Reduce(x, destination, ReductionOp.SumOfSquares);

    /// <inheritdoc/>
    public void Max(Tensor x, Tensor destination) => Reduce(x, destination, ReductionOp.Max);

    /// <summary>The whole-tensor reductions.</summary>
    protected enum ReductionOp
    {
        /// <summary>Σ x</summary>
        Sum,
        /// <summary>Σ x²</summary>
        SumOfSquares,
        /// <summary>max x</summary>
        Max,
    }

    private void Reduce(Tensor x, Tensor destination, ReductionOp op)
    {
        OpChecks.HasCount(destination, nameof(destination), 1);
        var values = F32(x, nameof(x));
        F32(destination, nameof(destination))[0] = ReduceKernel(op, values);
    }

    /// <summary>Reduces all of x to one value.</summary>
    protected abstract float ReduceKernel(ReductionOp op, ReadOnlySpan<float> x);
}
