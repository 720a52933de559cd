// The ops of the ILGPU device: validate (OpChecks, as every device does), then launch kernels.
// Argument order and semantics are IDevice's; the kernels are in Kernels/.
using ILGPU;
using ILGPU.Runtime;
using SwitchNative.Devices;
using SwitchNative.Devices.Routing;
using SwitchNative.Ilgpu.Kernels;
using SwitchNative.Tensors;

namespace SwitchNative.Ilgpu;

public sealed partial class IlgpuDevice
{
    private static Index1D Count(long count) => new(checked((int)count));

    /// <inheritdoc/>
    public void Copy(Tensor source, Tensor destination)
    {
        OpChecks.On(this, source, nameof(source), source.DType);
        OpChecks.On(this, destination, nameof(destination), source.DType);
        OpChecks.SameCount(source, nameof(source), destination, nameof(destination));
        if (source.ElementCount > 0) Words(source).CopyTo(Words(destination));
    }

    /// <inheritdoc/>
    public void Fill(float value, Tensor destination)
    {
        var view = F32(destination, nameof(destination));
        if (view.Length > 0) Kernels.Fill.Value(Count(view.Length), view, value);
    }

    /// <inheritdoc/>
    public void Gemm(Tensor a, bool transposeA, Tensor b, bool transposeB, float alpha, float beta, Tensor c)
    {
        var (m, n, k) = OpChecks.Gemm(this, a, transposeA, b, transposeB, c);
        GemmViews(Words(a), transposeA, Words(b), transposeB, alpha, beta, Words(c), m, n, k);
    }

    private void GemmViews(ArrayView<float> a, bool transposeA, ArrayView<float> b, bool transposeB, float alpha, float beta, ArrayView<float> c, int m, int n, int k)
    {
        if (m == 0 || n == 0) return;
        var arguments = new GemmArguments(m, n, k, transposeA ? 1 : 0, transposeB ? 1 : 0, alpha, beta);
        if (!GroupKernels)
        {
            Kernels.GemmDirect.Value(Count((long)m * n), a, b, c, arguments);
            return;
        }
        int tile = GemmKernels.Tile;
        var grid = new Index2D((n + tile - 1) / tile, (m + tile - 1) / tile);
        Kernels.Gemm.Value(new KernelConfig(grid, new Index2D(tile, tile)), a, b, c, arguments);
    }

    private void Elementwise(Tensor a, Tensor b, Tensor destination, Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>> kernel)
    {
        OpChecks.SameCount(a, nameof(a), b, nameof(b));
        OpChecks.SameCount(a, nameof(a), destination, nameof(destination));
        var (x, y, z) = (F32(a, nameof(a)), F32(b, nameof(b)), F32(destination, nameof(destination)));
        if (z.Length > 0) kernel(Count(z.Length), x, y, z);
    }

    private void Elementwise(Tensor x, Tensor y, Action<Index1D, ArrayView<float>, ArrayView<float>> kernel)
    {
        OpChecks.SameCount(x, nameof(x), y, nameof(y));
        var (input, output) = (F32(x, nameof(x)), F32(y, nameof(y)));
        if (output.Length > 0) kernel(Count(output.Length), input, output);
    }

    /// <inheritdoc/>
    public void Add(Tensor a, Tensor b, Tensor destination) => Elementwise(a, b, destination, Kernels.Add.Value);

    /// <inheritdoc/>
    public void Multiply(Tensor a, Tensor b, Tensor destination) => Elementwise(a, b, destination, Kernels.Multiply.Value);

    /// <inheritdoc/>
    public void Scale(Tensor x, float alpha, Tensor destination)
    {
        OpChecks.SameCount(x, nameof(x), destination, nameof(destination));
        var (input, output) = (F32(x, nameof(x)), F32(destination, nameof(destination)));
        if (output.Length > 0) Kernels.Scale.Value(Count(output.Length), input, alpha, output);
    }

    /// <inheritdoc/>
    public void Axpy(Tensor x, float alpha, Tensor y)
    {
        OpChecks.SameCount(x, nameof(x), y, nameof(y));
        var (input, output) = (F32(x, nameof(x)), F32(y, nameof(y)));
        if (output.Length > 0) Kernels.Axpy.Value(Count(output.Length), input, alpha, output);
    }

    /// <inheritdoc/>
    public void Relu(Tensor x, Tensor y) => Elementwise(x, y, Kernels.Relu.Value);

    /// <inheritdoc/>
    public void Gelu(Tensor x, Tensor y) => Elementwise(x, y, Kernels.Gelu.Value);

    /// <inheritdoc/>
    public void ReluBackward(Tensor x, Tensor dy, Tensor dx) => Elementwise(x, dy, dx, Kernels.ReluBackward.Value);

    /// <inheritdoc/>
    public void GeluBackward(Tensor x, Tensor dy, Tensor dx) => Elementwise(x, dy, dx, Kernels.GeluBackward.Value);

    /// <inheritdoc/>
    public void Softmax(Tensor x, Tensor y)
    {
        OpChecks.SameShape(x, nameof(x), y, nameof(y));
        int columns = x.Shape.LastDimension;
        var (input, output) = (F32(x, nameof(x)), F32(y, nameof(y)));
        if (columns > 0 && x.Shape.RowCount > 0) Kernels.Softmax.Value(Count(x.Shape.RowCount), input, output, columns);
    }

    /// <inheritdoc/>
    public void SoftmaxBackward(Tensor y, Tensor dy, Tensor dx)
    {
        OpChecks.SameShape(y, nameof(y), dy, nameof(dy));
        OpChecks.SameShape(y, nameof(y), dx, nameof(dx));
        int columns = y.Shape.LastDimension;
        var (p, upstream, gradient) = (F32(y, nameof(y)), F32(dy, nameof(dy)), F32(dx, nameof(dx)));
        if (columns > 0 && y.Shape.RowCount > 0) Kernels.SoftmaxBackward.Value(Count(y.Shape.RowCount), p, upstream, gradient, columns);
    }

    /// <inheritdoc/>
    public void RmsNorm(Tensor x, Tensor weight, float epsilon, Tensor y, Tensor reciprocalRms)
    {
        int columns = OpChecks.RmsNorm(x, weight, y, reciprocalRms);
        var (input, scale, output, rho) = (F32(x, nameof(x)), F32(weight, nameof(weight)), F32(y, nameof(y)), F32(reciprocalRms, nameof(reciprocalRms)));
        if (x.Shape.RowCount > 0) Kernels.RmsNorm.Value(Count(x.Shape.RowCount), input, scale, epsilon, output, rho, columns);
    }

    /// <inheritdoc/>
    public void RmsNormBackward(Tensor x, Tensor weight, Tensor reciprocalRms, Tensor dy, Tensor dx, Tensor dWeight)
    {
        int columns = OpChecks.RmsNormBackward(x, weight, reciprocalRms, dy, dx, dWeight), rows = checked((int)x.Shape.RowCount);
        var (input, scale, rho, upstream, gradient, dScale) = (F32(x, nameof(x)), F32(weight, nameof(weight)), F32(reciprocalRms, nameof(reciprocalRms)), F32(dy, nameof(dy)), F32(dx, nameof(dx)), F32(dWeight, nameof(dWeight)));
        if (rows > 0) Kernels.RmsNormBackwardInput.Value(Count(rows), input, scale, rho, upstream, gradient, columns);
        if (columns > 0) Kernels.RmsNormBackwardWeight.Value(Count(columns), input, rho, upstream, dScale, columns, rows);
    }

    /// <inheritdoc/>
    public void LayerNorm(Tensor x, Tensor weight, Tensor bias, float epsilon, Tensor y, Tensor mean, Tensor reciprocalStd)
    {
        int columns = OpChecks.LayerNorm(x, weight, bias, y, mean, reciprocalStd);
        var views = (F32(x, nameof(x)), F32(weight, nameof(weight)), F32(bias, nameof(bias)), F32(y, nameof(y)), F32(mean, nameof(mean)), F32(reciprocalStd, nameof(reciprocalStd)));
        if (x.Shape.RowCount > 0) Kernels.LayerNorm.Value(Count(x.Shape.RowCount), views.Item1, views.Item2, views.Item3, epsilon, views.Item4, views.Item5, views.Item6, columns);
    }

    /// <inheritdoc/>
    public void LayerNormBackward(Tensor x, Tensor weight, Tensor mean, Tensor reciprocalStd, Tensor dy, Tensor dx, Tensor dWeight, Tensor dBias)
    {
        int columns = OpChecks.LayerNormBackward(x, weight, mean, reciprocalStd, dy, dx, dWeight, dBias), rows = checked((int)x.Shape.RowCount);
        var (input, scale, mu, inverse, upstream) = (F32(x, nameof(x)), F32(weight, nameof(weight)), F32(mean, nameof(mean)), F32(reciprocalStd, nameof(reciprocalStd)), F32(dy, nameof(dy)));
        var (gradient, dScale, dShift) = (F32(dx, nameof(dx)), F32(dWeight, nameof(dWeight)), F32(dBias, nameof(dBias)));
        if (rows > 0) Kernels.LayerNormBackwardInput.Value(Count(rows), input, scale, mu, inverse, upstream, gradient, columns);
        if (columns > 0) Kernels.LayerNormBackwardParameters.Value(Count(columns), input, mu, inverse, upstream, dScale, dShift, columns, rows);
    }

    /// <inheritdoc/>
    public void Embedding(Tensor table, Tensor ids, Tensor y)
    {
        OpChecks.HasShape(table, nameof(table), -1, -1);
        int width = table.Shape[1];
        OpChecks.HasShape(y, nameof(y), ids.ElementCount, width);
        var tokens = I32(ids, nameof(ids));
        OpChecks.TokenIds(HostInts(ids), table.Shape[0]);
        var (rows, output) = (F32(table, nameof(table)), F32(y, nameof(y)));
        if (output.Length > 0) Kernels.Embedding.Value(Count(output.Length), rows, tokens, output, width);
    }

    /// <inheritdoc/>
    public void EmbeddingBackward(Tensor ids, Tensor dy, Tensor dTable)
    {
        OpChecks.HasShape(dTable, nameof(dTable), -1, -1);
        int width = dTable.Shape[1];
        OpChecks.HasShape(dy, nameof(dy), ids.ElementCount, width);
        var tokens = I32(ids, nameof(ids));
        OpChecks.TokenIds(HostInts(ids), dTable.Shape[0]);
        var (upstream, gradient) = (F32(dy, nameof(dy)), F32(dTable, nameof(dTable)));
        if (width > 0) Kernels.EmbeddingBackward.Value(Count(width), tokens, upstream, gradient, width, checked((int)ids.ElementCount));
    }

    /// <inheritdoc/>
    public void SoftmaxCrossEntropy(Tensor logits, Tensor targets, int ignoreIndex, Tensor probabilities, Tensor losses)
    {
        OpChecks.SoftmaxCrossEntropy(logits, targets, probabilities, losses);
        var labels = I32(targets, nameof(targets));
        OpChecks.Targets(HostInts(targets), ignoreIndex, logits.Shape[1]);
        var (input, p, loss) = (F32(logits, nameof(logits)), F32(probabilities, nameof(probabilities)), F32(losses, nameof(losses)));
        if (logits.Shape[0] == 0 || logits.Shape[1] == 0) return;
        if (GroupKernels)
            Kernels.SoftmaxCrossEntropyGroup.Value(new KernelConfig(logits.Shape[0], RowKernels.GroupSize), input, labels, ignoreIndex, p, loss, logits.Shape[1]);
        else
            Kernels.SoftmaxCrossEntropy.Value(Count(logits.Shape[0]), input, labels, ignoreIndex, p, loss, logits.Shape[1]);
    }

    /// <inheritdoc/>
    public void SoftmaxCrossEntropyBackward(Tensor probabilities, Tensor targets, int ignoreIndex, float scale, Tensor dLogits)
    {
        OpChecks.SoftmaxCrossEntropyBackward(probabilities, targets, dLogits);
        var labels = I32(targets, nameof(targets));
        OpChecks.Targets(HostInts(targets), ignoreIndex, probabilities.Shape[1]);
        var (p, gradient) = (F32(probabilities, nameof(probabilities)), F32(dLogits, nameof(dLogits)));
        if (gradient.Length > 0) Kernels.SoftmaxCrossEntropyBackward.Value(Count(gradient.Length), p, labels, ignoreIndex, scale, gradient, probabilities.Shape[1]);
    }

    /// <inheritdoc/>
    public void CausalAttention(Tensor qkv, int headCount, Tensor attention, Tensor output)
    {
        var (batch, sequence, modelDim, _) = OpChecks.Attention(this, qkv, headCount, attention, output);
        var arguments = new AttentionArguments(batch, sequence, modelDim, headCount);
        if (batch * sequence > 0) Kernels.AttentionForward.Value(Count((long)batch * headCount * sequence), Words(qkv), Words(attention), Words(output), arguments);
    }

    /// <inheritdoc/>
    public void CausalAttentionBackward(Tensor qkv, Tensor attention, Tensor dOutput, int headCount, Tensor dQkv)
    {
        var (batch, sequence, modelDim, _) = OpChecks.Attention(this, qkv, headCount, attention, dOutput);
        OpChecks.SameShape(qkv, nameof(qkv), dQkv, nameof(dQkv));
        var gradient = F32(dQkv, nameof(dQkv));
        if (batch * sequence == 0) return;
        var arguments = new AttentionArguments(batch, sequence, modelDim, headCount);
        using var scores = Allocate(attention.Shape);
        var rows = Count((long)batch * headCount * sequence);
        Kernels.AttentionScoreGradient.Value(rows, Words(qkv), Words(attention), Words(dOutput), Words(scores), arguments);
        Kernels.AttentionQueryGradient.Value(rows, Words(qkv), Words(scores), gradient, arguments);
        Kernels.AttentionKeyValueGradient.Value(rows, Words(qkv), Words(attention), Words(dOutput), Words(scores), gradient, arguments);
        _accelerator.Synchronize();
    }

    /// <inheritdoc/>
    public void AttentionDecode(Tensor query, Tensor keys, Tensor values, int headCount, Tensor output)
    {
        var (length, modelDim) = OpChecks.AttentionDecode(query, keys, values, headCount, output);
        Kernels.AttentionDecode.Value(Count(headCount), F32(query, nameof(query)), F32(keys, nameof(keys)), F32(values, nameof(values)), F32(output, nameof(output)), length, modelDim, modelDim / headCount);
    }

    /// <inheritdoc/>
    public void AdamW(Tensor gradients, AdamWSettings settings, int step, Tensor parameters, Tensor firstMoment, Tensor secondMoment)
    {
        OpChecks.AdamW(gradients, step, parameters, firstMoment, secondMoment);
        var arguments = new AdamWArguments(settings.LearningRate, settings.Beta1, settings.Beta2, settings.Epsilon, settings.WeightDecay,
            (float)(1.0 / (1.0 - Math.Pow(settings.Beta1, step))), (float)(1.0 / (1.0 - Math.Pow(settings.Beta2, step))));
        var (g, theta, m, v) = (F32(gradients, nameof(gradients)), F32(parameters, nameof(parameters)), F32(firstMoment, nameof(firstMoment)), F32(secondMoment, nameof(secondMoment)));
        if (theta.Length > 0) Kernels.AdamW.Value(Count(theta.Length), g, theta, m, v, arguments);
    }

    /// <inheritdoc/>
    public void Sum(Tensor x, Tensor destination) => Reduce(x, destination, 0);

    /// <inheritdoc/>
    public void SumOfSquares(Tensor x, Tensor destination) => Reduce(x, destination, 1);

    /// <inheritdoc/>
    public void Max(Tensor x, Tensor destination) => Reduce(x, destination, 2);

    private void Reduce(Tensor x, Tensor destination, int operation)
    {
        OpChecks.HasCount(destination, nameof(destination), 1);
        var (input, output) = (F32(x, nameof(x)), F32(destination, nameof(destination)));
        int chunks = (int)((input.Length + RowKernels.ReductionChunk - 1) / RowKernels.ReductionChunk);
        using var partials = _accelerator.Allocate1D<double>(Math.Max(chunks, 1));
        if (chunks > 0) Kernels.ReducePartial.Value(Count(chunks), input, partials.View.AsContiguous(), operation);
        Kernels.ReduceFinal.Value(Count(1), partials.View.AsContiguous(), chunks, operation, output);
        _accelerator.Synchronize();
    }

    private void FillRandom(Tensor destination, Lazy<Action<Index1D, ArrayView<float>, RandomArguments>> kernel, RandomArguments arguments)
    {
        var view = F32(destination, nameof(destination));
        if (view.Length > 0) kernel.Value(Count(view.Length), view, arguments);
    }

    /// <inheritdoc/>
    public void FillUniform(ulong seed, uint streamId, float low, float high, Tensor destination)
    {
        if (!(high >= low)) throw new ArgumentException($"uniform bounds must satisfy low ≤ high, got [{low}, {high})");
        FillRandom(destination, Kernels.Uniform, new RandomArguments(seed, streamId, low, high));
    }

    /// <inheritdoc/>
    public void FillNormal(ulong seed, uint streamId, float mean, float std, Tensor destination) =>
        FillRandom(destination, Kernels.Normal, new RandomArguments(seed, streamId, mean, std));

    /// <inheritdoc/>
    public void FillTruncatedNormal(ulong seed, uint streamId, float mean, float std, Tensor destination) =>
        FillRandom(destination, Kernels.TruncatedNormal, new RandomArguments(seed, streamId, mean, std));

    /// <inheritdoc/>
    public void DropoutMask(ulong seed, uint streamId, float probability, Tensor mask)
    {
        if (!(probability >= 0f && probability < 1f)) throw new ArgumentOutOfRangeException(nameof(probability), $"dropout probability must be in [0, 1), got {probability}");
        FillRandom(mask, Kernels.DropoutMask, new RandomArguments(seed, streamId, probability, 1f / (1f - probability)));
    }
}
