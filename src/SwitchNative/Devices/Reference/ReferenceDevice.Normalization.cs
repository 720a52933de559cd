// Reference RMSNorm and LayerNorm, forward and backward, row by row in double.
namespace SwitchNative.Devices.Reference;

public sealed partial class ReferenceDevice
{
    /// <inheritdoc/>
    protected override void RmsNormKernel(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, float epsilon, Span<float> y, Span<float> reciprocalRms, int columns)
    {
        for (int row = 0; row < reciprocalRms.Length; row++)
        {
            int start = row * columns;
            double meanSquare = 0;
            for (int c = 0; c < columns; c++) meanSquare += (double)x[start + c] * x[start + c];
            meanSquare /= columns;
            double rho = 1.0 / Math.Sqrt(meanSquare + epsilon);
            reciprocalRms[row] = (float)rho;
            for (int c = 0; c < columns; c++) y[start + c] = (float)(x[start + c] * rho * weight[c]);
        }
    }

    /// <inheritdoc/>
    protected override void RmsNormBackwardKernel(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> reciprocalRms, ReadOnlySpan<float> dy, Span<float> dx, Span<float> dWeight, int columns)
    {
        for (int row = 0; row < reciprocalRms.Length; row++)
        {
            int start = row * columns;
            double rho = reciprocalRms[row];
            // y = x·ρ·w with ρ = (mean x² + ε)^(−½), so ∂ρ/∂x_c = −ρ³x_c/C.
            double dot = 0;
            for (int c = 0; c < columns; c++) dot += (double)dy[start + c] * weight[c] * x[start + c];
            for (int c = 0; c < columns; c++)
            {
                double g = (double)dy[start + c] * weight[c];
                dx[start + c] = (float)(rho * g - rho * rho * rho * x[start + c] * dot / columns);
                dWeight[c] += (float)(dy[start + c] * x[start + c] * rho);
            }
        }
    }

    /// <inheritdoc/>
    protected override void LayerNormKernel(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, float epsilon, Span<float> y, Span<float> mean, Span<float> reciprocalStd, int columns)
    {
        for (int row = 0; row < mean.Length; row++)
        {
            int start = row * columns;
            double mu = 0;
            for (int c = 0; c < columns; c++) mu += x[start + c];
            mu /= columns;
            double variance = 0;
            for (int c = 0; c < columns; c++) variance += (x[start + c] - mu) * (x[start + c] - mu);
            variance /= columns;
            double inverseStd = 1.0 / Math.Sqrt(variance + epsilon);
            mean[row] = (float)mu;
            reciprocalStd[row] = (float)inverseStd;
            for (int c = 0; c < columns; c++) y[start + c] = (float)((x[start + c] - mu) * inverseStd * weight[c] + bias[c]);
        }
    }

    /// <inheritdoc/>
    protected override void LayerNormBackwardKernel(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> mean, ReadOnlySpan<float> reciprocalStd, ReadOnlySpan<float> dy, Span<float> dx, Span<float> dWeight, Span<float> dBias, int columns)
    {
        for (int row = 0; row < mean.Length; row++)
        {
            int start = row * columns;
            double inverseStd = reciprocalStd[row];
            // x̂ = (x − μ)σ⁻¹, g = dy·w: dx = σ⁻¹(g − mean g − x̂·mean(g·x̂)).
            double meanG = 0, meanGxHat = 0;
            for (int c = 0; c < columns; c++)
            {
                double xHat = (x[start + c] - mean[row]) * inverseStd;
                double g = (double)dy[start + c] * weight[c];
                meanG += g;
                meanGxHat += g * xHat;
            }
            meanG /= columns;
            meanGxHat /= columns;
            for (int c = 0; c < columns; c++)
            {
                double xHat = (x[start + c] - mean[row]) * inverseStd;
                double g = (double)dy[start + c] * weight[c];
                dx[start + c] = (float)(inverseStd * (g - meanG - xHat * meanGxHat));
                dWeight[c] += (float)(dy[start + c] * xHat);
                dBias[c] += dy[start + c];
            }
        }
    }
}
