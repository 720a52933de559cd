// Row-wise ILGPU kernels (softmax, norms, cross-entropy, embedding): one thread per row, sums
// in double; parameter gradients one thread per column, rows summed in order (deterministic).
using ILGPU;

namespace SwitchNative.Ilgpu.Kernels;

internal static class RowKernels
{
    public static void Softmax(Index1D row, ArrayView<float> x, ArrayView<float> y, int columns)
    {
        long start = (long)row.X * columns;
        float max = float.NegativeInfinity;
        for (int c = 0; c < columns; c++) max = MathF.Max(max, x[start + c]);
        double sum = 0;
        for (int c = 0; c < columns; c++) sum += Math.Exp(x[start + c] - max);
        for (int c = 0; c < columns; c++) y[start + c] = (float)(Math.Exp(x[start + c] - max) / sum);
    }

    public static void SoftmaxBackward(Index1D row, ArrayView<float> y, ArrayView<float> dy, ArrayView<float> dx, int columns)
    {
        long start = (long)row.X * columns;
        double dot = 0;
        for (int c = 0; c < columns; c++) dot += (double)y[start + c] * dy[start + c];
        for (int c = 0; c < columns; c++) dx[start + c] = (float)(y[start + c] * (dy[start + c] - dot));
    }

    public static void RmsNorm(Index1D row, ArrayView<float> x, ArrayView<float> weight, float epsilon, ArrayView<float> y, ArrayView<float> rho, int columns)
    {
        long start = (long)row.X * columns;
        double squares = 0;
        for (int c = 0; c < columns; c++) squares += (double)x[start + c] * x[start + c];
        double reciprocal = 1.0 / Math.Sqrt(squares / columns + epsilon);
        rho[row] = (float)reciprocal;
        for (int c = 0; c < columns; c++) y[start + c] = (float)(x[start + c] * reciprocal * weight[c]);
    }

    // dx = ρ·g − ρ³·x·⟨g, x⟩/C with g = dy ⊙ w.
    public static void RmsNormBackwardInput(Index1D row, ArrayView<float> x, ArrayView<float> weight, ArrayView<float> rho, ArrayView<float> dy, ArrayView<float> dx, int columns)
    {
        long start = (long)row.X * columns;
        double r = rho[row], dot = 0;
        for (int c = 0; c < columns; c++) dot += (double)dy[start + c] * weight[c] * x[start + c];
        for (int c = 0; c < columns; c++) dx[start + c] = (float)(r * dy[start + c] * weight[c] - r * r * r * x[start + c] * dot / columns);
    }

    // dWeight_c += Σ_r dy_rc·x_rc·ρ_r.
    public static void RmsNormBackwardWeight(Index1D column, ArrayView<float> x, ArrayView<float> rho, ArrayView<float> dy, ArrayView<float> dWeight, int columns, int rows)
    {
        double sum = 0;
        for (int r = 0; r < rows; r++) sum += (double)dy[(long)r * columns + column] * x[(long)r * columns + column] * rho[r];
        dWeight[column] += (float)sum;
    }

    public static void LayerNorm(Index1D row, ArrayView<float> x, ArrayView<float> weight, ArrayView<float> bias, float epsilon, ArrayView<float> y, ArrayView<float> mean, ArrayView<float> reciprocalStd, int columns)
    {
        long start = (long)row.X * columns;
        double mu = 0, variance = 0;
        for (int c = 0; c < columns; c++) mu += x[start + c];
        mu /= columns;
        for (int c = 0; c < columns; c++) variance += (x[start + c] - mu) * (x[start + c] - mu);
        double inverse = 1.0 / Math.Sqrt(variance / columns + epsilon);
        mean[row] = (float)mu;
        reciprocalStd[row] = (float)inverse;
        for (int c = 0; c < columns; c++) y[start + c] = (float)((x[start + c] - mu) * inverse * weight[c] + bias[c]);
    }

    // dx = σ⁻¹(g − mean g − x̂·mean(g·x̂)), g = dy ⊙ w.
    public static void LayerNormBackwardInput(Index1D row, ArrayView<float> x, ArrayView<float> weight, ArrayView<float> mean, ArrayView<float> reciprocalStd, ArrayView<float> dy, ArrayView<float> dx, int columns)
    {
        long start = (long)row.X * columns;
        double inverse = reciprocalStd[row], meanG = 0, meanGxHat = 0;
        for (int c = 0; c < columns; c++)
        {
            double g = (double)dy[start + c] * weight[c];
            meanG += g;
            meanGxHat += g * (x[start + c] - mean[row]) * inverse;
        }
        meanG /= columns;
        meanGxHat /= columns;
        for (int c = 0; c < columns; c++)
        {
            double xHat = (x[start + c] - mean[row]) * inverse;
            dx[start + c] = (float)(inverse * ((double)dy[start + c] * weight[c] - meanG - xHat * meanGxHat));
        }
    }

    public static void LayerNormBackwardParameters(Index1D column, ArrayView<float> x, ArrayView<float> mean, ArrayView<float> reciprocalStd, ArrayView<float> dy, ArrayView<float> dWeight, ArrayView<float> dBias, int columns, int rows)
    {
        double weightSum = 0, biasSum = 0;
        for (int r = 0; r < rows; r++)
        {
            long index = (long)r * columns + column;
            weightSum += (double)dy[index] * (x[index] - mean[r]) * reciprocalStd[r];
            biasSum += dy[index];
        }
        dWeight[column] += (float)weightSum;
        dBias[column] += (float)biasSum;
    }

    public static void SoftmaxCrossEntropy(Index1D row, ArrayView<float> logits, ArrayView<int> targets, int ignoreIndex, ArrayView<float> probabilities, ArrayView<float> losses, int vocabulary)
    {
        long start = (long)row.X * vocabulary;
        float max = float.NegativeInfinity;
        for (int v = 0; v < vocabulary; v++) max = MathF.Max(max, logits[start + v]);
        double sum = 0;
        for (int v = 0; v < vocabulary; v++) sum += Math.Exp(logits[start + v] - max);
        for (int v = 0; v < vocabulary; v++) probabilities[start + v] = (float)(Math.Exp(logits[start + v] - max) / sum);
        int target = targets[row];
        losses[row] = target == ignoreIndex ? 0f : (float)(Math.Log(sum) + max - logits[start + target]);
    }

    /// <summary>Threads per group of the one-group-per-row kernels.</summary>
    public const int GroupSize = 64;

    // The same cross-entropy with one group of GroupSize threads per row: lane j reads columns
    // j, j + 64, … so a warp's loads are contiguous, and the row's max and Σ exp(x − max) are
    // combined by tree reductions in shared memory (the one-thread-per-row kernel reads each row
    // serially and scattered across threads: 75 % of a GPU training step at vocabulary 16,384).
    // Σ is accumulated in double, as in the other kernels.
    public static void SoftmaxCrossEntropyGroup(ArrayView<float> logits, ArrayView<int> targets, int ignoreIndex, ArrayView<float> probabilities, ArrayView<float> losses, int vocabulary)
    {
        var maxima = SharedMemory.Allocate<float>(GroupSize);
        var sums = SharedMemory.Allocate<double>(GroupSize);
        int row = Grid.IdxX, lane = Group.IdxX;
        long start = (long)row * vocabulary;
        float max = float.NegativeInfinity;
        for (int v = lane; v < vocabulary; v += GroupSize) max = MathF.Max(max, logits[start + v]);
        maxima[lane] = max;
        Group.Barrier();
        for (int half = GroupSize / 2; half > 0; half /= 2)
        {
            if (lane < half) maxima[lane] = MathF.Max(maxima[lane], maxima[lane + half]);
            Group.Barrier();
        }
        max = maxima[0];
        double sum = 0;
        for (int v = lane; v < vocabulary; v += GroupSize) sum += Math.Exp(logits[start + v] - max);
        sums[lane] = sum;
        Group.Barrier();
        for (int half = GroupSize / 2; half > 0; half /= 2)
        {
            if (lane < half) sums[lane] += sums[lane + half];
            Group.Barrier();
        }
        sum = sums[0];
        for (int v = lane; v < vocabulary; v += GroupSize) probabilities[start + v] = (float)(Math.Exp(logits[start + v] - max) / sum);
        if (lane == 0)
        {
            int target = targets[row];
            losses[row] = target == ignoreIndex ? 0f : (float)(Math.Log(sum) + max - logits[start + target]);
        }
    }

    public static void SoftmaxCrossEntropyBackward(Index1D index, ArrayView<float> probabilities, ArrayView<int> targets, int ignoreIndex, float scale, ArrayView<float> dLogits, int vocabulary)
    {
        int row = (int)(index / vocabulary), v = (int)(index % vocabulary);
        int target = targets[row];
        dLogits[index] = target == ignoreIndex ? 0f : scale * (probabilities[index] - (v == target ? 1f : 0f));
    }

    public static void Embedding(Index1D index, ArrayView<float> table, ArrayView<int> ids, ArrayView<float> y, int width)
    {
        int token = (int)(index / width), c = (int)(index % width);
        y[index] = table[(long)ids[token] * width + c];
    }

    // One thread per column: tokens in order, so repeated ids sum deterministically.
    public static void EmbeddingBackward(Index1D column, ArrayView<int> ids, ArrayView<float> dy, ArrayView<float> dTable, int width, int tokens)
    {
        for (int t = 0; t < tokens; t++) dTable[(long)ids[t] * width + column] += dy[(long)t * width + column];
    }

    // Reductions in two passes: fixed chunks into double partials, then one thread combines them in order.
    public const int ReductionChunk = 4096;

    public static void ReducePartial(Index1D chunk, ArrayView<float> x, ArrayView<double> partials, int operation)
    {
        long start = (long)chunk.X * ReductionChunk, end = Math.Min(start + ReductionChunk, x.Length);
        double value = operation == 2 ? double.NegativeInfinity : 0;
        for (long i = start; i < end; i++)
            value = operation switch { 0 => value + x[i], 1 => value + (double)x[i] * x[i], _ => Math.Max(value, x[i]) };
        partials[chunk] = value;
    }

    public static void ReduceFinal(Index1D index, ArrayView<double> partials, int count, int operation, ArrayView<float> destination)
    {
        double value = operation == 2 ? double.NegativeInfinity : 0;
        for (int i = 0; i < count; i++) value = operation == 2 ? Math.Max(value, partials[i]) : value + partials[i];
        destination[0] = (float)value;
    }
}
