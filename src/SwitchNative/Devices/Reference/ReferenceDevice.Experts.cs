// Reference dispatch and combine: the gathers and scatters written as loops.
namespace SwitchNative.Devices.Reference;

public sealed partial class ReferenceDevice
{
    /// <inheritdoc/>
    protected override void DispatchKernel(ReadOnlySpan<float> x, ReadOnlySpan<int> rowToken, ReadOnlySpan<float> rowScale, Span<float> expertInput, int width)
    {
        for (int r = 0; r < rowToken.Length; r++)
        {
            float scale = rowScale.IsEmpty ? 1f : rowScale[r];
            for (int c = 0; c < width; c++) expertInput[r * width + c] = scale * x[rowToken[r] * width + c];
        }
    }

    /// <inheritdoc/>
    protected override void CombineKernel(ReadOnlySpan<float> expertOutput, ReadOnlySpan<int> assignmentRow, ReadOnlySpan<float> weights, Span<float> y, int assignmentWidth, int width)
    {
        int tokens = assignmentRow.Length / Math.Max(assignmentWidth, 1);
        for (int t = 0; t < tokens; t++)
            for (int c = 0; c < width; c++)
            {
                double sum = 0;
                for (int j = 0; j < assignmentWidth; j++)
                {
                    int a = t * assignmentWidth + j, row = assignmentRow[a];
                    if (row >= 0) sum += (weights.IsEmpty ? 1.0 : weights[a]) * expertOutput[row * width + c];
                }
                y[t * width + c] = (float)sum;
            }
    }

    /// <inheritdoc/>
    protected override void CombineGateGradientKernel(ReadOnlySpan<float> expertOutput, ReadOnlySpan<int> assignmentRow, ReadOnlySpan<float> dy, Span<float> dGates, int assignmentWidth, int width)
    {
        for (int a = 0; a < assignmentRow.Length; a++)
        {
            int t = a / assignmentWidth, row = assignmentRow[a];
            double dot = 0;
            for (int c = 0; row >= 0 && c < width; c++) dot += (double)expertOutput[row * width + c] * dy[t * width + c];
            dGates[a] = (float)dot;
        }
    }
}
