// Row-wise CPU kernels: softmax, RMSNorm, LayerNorm and the fused softmax + cross-entropy.
// Rows are independent, so they are spread over threads in fixed chunks. Parameter gradients
// (dWeight, dBias) sum over rows: they run as a second pass split by columns, each column
// summed over rows in row order, so the result does not depend on the thread count.
using System.Buffers;
using System.Numerics.Tensors;

namespace SwitchNative.Devices.Cpu;

public sealed unsafe partial class CpuDevice
{
    // Columns handled by one task of a column-split pass.
    private const int ColumnChunk = 256;

    /// <summary>Stable softmax of one row: y = exp(x − max x) / Σ exp(x − max x). Returns Σ (for log-sum-exp).</summary>
    private static float SoftmaxRow(ReadOnlySpan<float> x, Span<float> y, out float max)
    {
        max = TensorPrimitives.Max(x);
        TensorPrimitives.Subtract(x, max, y);
        TensorPrimitives.Exp(y, y);
        float sum = TensorPrimitives.Sum(y);
        TensorPrimitives.Divide(y, sum, y);
        return sum;
    }

    /// <inheritdoc/>
    protected override void SoftmaxKernel(ReadOnlySpan<float> x, Span<float> y, int columns)
    {
        if (columns == 0) return;
        float* input = Pointer(x), output = Pointer(y);
        ForRows(x.Length / columns, columns, (first, count) =>
        {
            for (int row = first; row < first + count; row++)
                SoftmaxRow(Span(input + (long)row * columns, columns), Span(output + (long)row * columns, columns), out _);
        });
    }

    /// <inheritdoc/>
    protected override void SoftmaxBackwardKernel(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, int columns)
    {
        if (columns == 0) return;
        float* output = Pointer(y), upstream = Pointer(dy), target = Pointer(dx);
        ForRows(y.Length / columns, columns, (first, count) =>
        {
            for (int row = first; row < first + count; row++)
            {
                long start = (long)row * columns;
                var probabilities = Span(output + start, columns);
                // dx = y ⊙ (dy − ⟨y, dy⟩)
                float dot = TensorPrimitives.Dot(probabilities, Span(upstream + start, columns));
                var gradient = Span(target + start, columns);
                TensorPrimitives.Subtract(Span(upstream + start, columns), dot, gradient);
                TensorPrimitives.Multiply(gradient, probabilities, gradient);
            }
        });
    }

    /// <inheritdoc/>
    protected override void RmsNormKernel(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, float epsilon, Span<float> y, Span<float> reciprocalRms, int columns)
    {
        float* input = Pointer(x), scale = Pointer(weight), output = Pointer(y), rho = Pointer(reciprocalRms);
        ForRows(reciprocalRms.Length, columns, (first, count) =>
        {
            var w = Span(scale, columns);
            for (int row = first; row < first + count; row++)
            {
                var values = Span(input + (long)row * columns, columns);
                var result = Span(output + (long)row * columns, columns);
                // ρ = 1/√(mean x² + ε); y = x·ρ·w
                float reciprocal = 1f / MathF.Sqrt(TensorPrimitives.SumOfSquares(values) / columns + epsilon);
                rho[row] = reciprocal;
                TensorPrimitives.Multiply(values, w, result);
                TensorPrimitives.Multiply(result, reciprocal, result);
            }
        });
    }

    /// <inheritdoc/>
    protected override void RmsNormBackwardKernel(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> reciprocalRms, ReadOnlySpan<float> dy, Span<float> dx, Span<float> dWeight, int columns)
    {
        float* input = Pointer(x), scale = Pointer(weight), rho = Pointer(reciprocalRms), upstream = Pointer(dy), target = Pointer(dx);
        int rows = reciprocalRms.Length;
        ForRows(rows, columns, (first, count) =>
        {
            var w = Span(scale, columns);
            for (int row = first; row < first + count; row++)
            {
                long start = (long)row * columns;
                var values = Span(input + start, columns);
                var gradient = Span(target + start, columns);
                // g = dy·w; dx = ρ·g − (ρ³·⟨g, x⟩/C)·x
                TensorPrimitives.Multiply(Span(upstream + start, columns), w, gradient);
                float r = rho[row];
                float coefficient = -r * r * r * TensorPrimitives.Dot(gradient, values) / columns;
                TensorPrimitives.Multiply(gradient, r, gradient);
                TensorPrimitives.MultiplyAdd(values, coefficient, gradient, gradient);
            }
        });
        // dWeight_c += Σ_r dy_rc·x_rc·ρ_r
        AccumulateOverRows(dWeight, rows, columns, (row, columnStart, product) =>
        {
            long start = (long)row * columns + columnStart;
            TensorPrimitives.Multiply(Span(upstream + start, product.Length), Span(input + start, product.Length), product);
            TensorPrimitives.Multiply(product, rho[row], product);
        });
    }

    /// <inheritdoc/>
    protected override void LayerNormKernel(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, float epsilon, Span<float> y, Span<float> mean, Span<float> reciprocalStd, int columns)
    {
        float* input = Pointer(x), scale = Pointer(weight), shift = Pointer(bias), output = Pointer(y), means = Pointer(mean), inverseStd = Pointer(reciprocalStd);
        ForRows(mean.Length, columns, (first, count) =>
        {
            for (int row = first; row < first + count; row++)
            {
                var values = Span(input + (long)row * columns, columns);
                var result = Span(output + (long)row * columns, columns);
                // μ = mean x; σ⁻¹ = 1/√(mean (x − μ)² + ε); y = (x − μ)σ⁻¹·w + b
                float mu = TensorPrimitives.Sum(values) / columns;
                TensorPrimitives.Subtract(values, mu, result);
                float reciprocal = 1f / MathF.Sqrt(TensorPrimitives.SumOfSquares(result) / columns + epsilon);
                means[row] = mu;
                inverseStd[row] = reciprocal;
                TensorPrimitives.Multiply(result, reciprocal, result);
                TensorPrimitives.MultiplyAdd(result, Span(scale, columns), Span(shift, columns), result);
            }
        });
    }

    /// <inheritdoc/>
    protected override void LayerNormBackwardKernel(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> mean, ReadOnlySpan<float> reciprocalStd, ReadOnlySpan<float> dy, Span<float> dx, Span<float> dWeight, Span<float> dBias, int columns)
    {
        float* input = Pointer(x), scale = Pointer(weight), means = Pointer(mean), inverseStd = Pointer(reciprocalStd), upstream = Pointer(dy), target = Pointer(dx);
        int rows = mean.Length;
        ForRows(rows, columns, (first, count) =>
        {
            var scratch = ArrayPool<float>.Shared.Rent(columns);
            try
            {
                var g = scratch.AsSpan(0, columns);
                for (int row = first; row < first + count; row++)
                {
                    long start = (long)row * columns;
                    var xHat = Span(target + start, columns);
                    // x̂ = (x − μ)σ⁻¹, g = dy·w; dx = σ⁻¹(g − mean g − x̂·mean(g·x̂))
                    TensorPrimitives.Subtract(Span(input + start, columns), means[row], xHat);
                    TensorPrimitives.Multiply(xHat, inverseStd[row], xHat);
                    TensorPrimitives.Multiply(Span(upstream + start, columns), Span(scale, columns), g);
                    float meanG = TensorPrimitives.Sum(g) / columns;
                    float meanGxHat = TensorPrimitives.Dot(g, xHat) / columns;
                    TensorPrimitives.MultiplyAdd(xHat, -meanGxHat, g, xHat);
                    TensorPrimitives.Subtract(xHat, meanG, xHat);
                    TensorPrimitives.Multiply(xHat, inverseStd[row], xHat);
                }
            }
            finally
            {
                ArrayPool<float>.Shared.Return(scratch);
            }
        });
        // dWeight_c += Σ_r dy_rc·x̂_rc, dBias_c += Σ_r dy_rc
        AccumulateOverRows(dWeight, rows, columns, (row, columnStart, product) =>
        {
            long start = (long)row * columns + columnStart;
            TensorPrimitives.Subtract(Span(input + start, product.Length), means[row], product);
            TensorPrimitives.Multiply(product, inverseStd[row], product);
            TensorPrimitives.Multiply(product, Span(upstream + start, product.Length), product);
        });
        AccumulateOverRows(dBias, rows, columns, (row, columnStart, product) =>
            Span(upstream + (long)row * columns + columnStart, product.Length).CopyTo(product));
    }

    /// <summary>Writes one row's contribution to columns [columnStart, columnStart + product.Length) into product.</summary>
    private delegate void RowContribution(int row, int columnStart, Span<float> product);

    /// <summary>
    /// <c>accumulator[c] += Σ_r contribution(r)[c]</c>, split by column chunks, rows in order:
    /// deterministic for any thread count.
    /// </summary>
    private void AccumulateOverRows(Span<float> accumulator, int rows, int columns, RowContribution contribution)
    {
        float* sums = Pointer(accumulator);
        _parallel.ForRanges(columns, ColumnChunk, (columnStart, width) =>
        {
            Span<float> product = stackalloc float[width];
            var total = Span(sums + columnStart, width);
            for (int row = 0; row < rows; row++)
            {
                contribution(row, columnStart, product);
                TensorPrimitives.Add(total, product, total);
            }
        });
    }

    /// <inheritdoc/>
    protected override void SoftmaxCrossEntropyKernel(ReadOnlySpan<float> logits, ReadOnlySpan<int> targets, int ignoreIndex, Span<float> probabilities, Span<float> losses, int vocabulary)
    {
        if (vocabulary == 0) return;
        float* input = Pointer(logits), output = Pointer(probabilities), loss = Pointer(losses);
        int* labels = Pointer(targets);
        ForRows(targets.Length, vocabulary, (first, count) =>
        {
            for (int row = first; row < first + count; row++)
            {
                long start = (long)row * vocabulary;
                // loss = logsumexp(z) − z_target = ln Σ exp(z − max) + max − z_target
                float sum = SoftmaxRow(Span(input + start, vocabulary), Span(output + start, vocabulary), out float max);
                loss[row] = labels[row] == ignoreIndex ? 0f : MathF.Log(sum) + max - input[start + labels[row]];
            }
        });
    }

    /// <inheritdoc/>
    protected override void SoftmaxCrossEntropyBackwardKernel(ReadOnlySpan<float> probabilities, ReadOnlySpan<int> targets, int ignoreIndex, float scale, Span<float> dLogits, int vocabulary)
    {
        float* input = Pointer(probabilities), output = Pointer(dLogits);
        int* labels = Pointer(targets);
        ForRows(targets.Length, vocabulary, (first, count) =>
        {
            for (int row = first; row < first + count; row++)
            {
                long start = (long)row * vocabulary;
                var gradient = Span(output + start, vocabulary);
                if (labels[row] == ignoreIndex)
                {
                    gradient.Clear();
                    continue;
                }
                // dz = scale·(p − onehot(target))
                TensorPrimitives.Multiply(Span(input + start, vocabulary), scale, gradient);
                gradient[labels[row]] -= scale;
            }
        });
    }
}
