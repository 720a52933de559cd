// Reference embedding, cross-entropy and AdamW.
using SwitchNative.Devices;

namespace SwitchNative.Devices.Reference;

public sealed partial class ReferenceDevice
{
    /// <inheritdoc/>
    protected override void EmbeddingKernel(ReadOnlySpan<float> table, ReadOnlySpan<int> ids, Span<float> y, int width)
    {
        for (int t = 0; t < ids.Length; t++) table.Slice(ids[t] * width, width).CopyTo(y.Slice(t * width, width));
    }

    /// <inheritdoc/>
    protected override void EmbeddingBackwardKernel(ReadOnlySpan<int> ids, ReadOnlySpan<float> dy, Span<float> dTable, int width)
    {
        for (int t = 0; t < ids.Length; t++)
            for (int c = 0; c < width; c++) dTable[ids[t] * width + c] += dy[t * width + c];
    }

    /// <inheritdoc/>
    protected override void SoftmaxCrossEntropyKernel(ReadOnlySpan<float> logits, ReadOnlySpan<int> targets, int ignoreIndex, Span<float> probabilities, Span<float> losses, int vocabulary)
    {
        for (int t = 0; t < targets.Length; t++)
        {
            var row = logits.Slice(t * vocabulary, vocabulary);
            float max = float.NegativeInfinity;
            foreach (var value in row) max = MathF.Max(max, value);
            double sum = 0;
            foreach (var value in row) sum += Math.Exp((double)value - max);
            // loss = logsumexp(z) − z_target = log Σ exp(z − max) + max − z_target
            for (int v = 0; v < vocabulary; v++) probabilities[t * vocabulary + v] = (float)(Math.Exp((double)row[v] - max) / sum);
            losses[t] = targets[t] == ignoreIndex ? 0f : (float)(Math.Log(sum) + max - row[targets[t]]);
        }
    }

    /// <inheritdoc/>
    protected override void SoftmaxCrossEntropyBackwardKernel(ReadOnlySpan<float> probabilities, ReadOnlySpan<int> targets, int ignoreIndex, float scale, Span<float> dLogits, int vocabulary)
    {
        for (int t = 0; t < targets.Length; t++)
            for (int v = 0; v < vocabulary; v++)
            {
                int index = t * vocabulary + v;
                dLogits[index] = targets[t] == ignoreIndex ? 0f : scale * (probabilities[index] - (v == targets[t] ? 1f : 0f));
            }
    }

    /// <inheritdoc/>
    protected override void AdamWKernel(ReadOnlySpan<float> gradients, AdamWSettings settings, int step, Span<float> parameters, Span<float> firstMoment, Span<float> secondMoment)
    {
        double correction1 = 1.0 - Math.Pow(settings.Beta1, step);
        double correction2 = 1.0 - Math.Pow(settings.Beta2, step);
        for (int i = 0; i < parameters.Length; i++)
        {
            double g = gradients[i];
            double m = settings.Beta1 * (double)firstMoment[i] + (1.0 - settings.Beta1) * g;
            double v = settings.Beta2 * (double)secondMoment[i] + (1.0 - settings.Beta2) * g * g;
            firstMoment[i] = (float)m;
            secondMoment[i] = (float)v;
            double update = (m / correction1) / (Math.Sqrt(v / correction2) + settings.Epsilon) + settings.WeightDecay * (double)parameters[i];
            parameters[i] = (float)(parameters[i] - settings.LearningRate * update);
        }
    }
}
