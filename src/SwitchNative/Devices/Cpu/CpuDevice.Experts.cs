// CPU dispatch and combine: row gathers with SIMD copies and multiply-adds, split by rows
// (each output row is written by one task, so no two threads touch the same memory).
using System.Numerics.Tensors;

namespace SwitchNative.Devices.Cpu;

public sealed unsafe partial class CpuDevice
{
    /// <inheritdoc/>
    protected override void DispatchKernel(ReadOnlySpan<float> x, ReadOnlySpan<int> rowToken, ReadOnlySpan<float> rowScale, Span<float> expertInput, int width)
    {
        float* source = Pointer(x), target = Pointer(expertInput), scales = rowScale.IsEmpty ? null : Pointer(rowScale);
        int* tokens = Pointer(rowToken);
        ForRows(rowToken.Length, width, (first, count) =>
        {
            for (int r = first; r < first + count; r++)
            {
                var from = Span(source + (long)tokens[r] * width, width);
                var to = Span(target + (long)r * width, width);
                if (scales is null) from.CopyTo(to);
                else TensorPrimitives.Multiply(from, scales[r], to);
            }
        });
    }

    /// <inheritdoc/>
    protected override void CombineKernel(ReadOnlySpan<float> expertOutput, ReadOnlySpan<int> assignmentRow, ReadOnlySpan<float> weights, Span<float> y, int assignmentWidth, int width)
    {
        float* source = Pointer(expertOutput), target = Pointer(y), scales = weights.IsEmpty ? null : Pointer(weights);
        int* rows = Pointer(assignmentRow);
        ForRows(y.Length / Math.Max(width, 1), width, (first, count) =>
        {
            for (int t = first; t < first + count; t++)
            {
                var output = Span(target + (long)t * width, width);
                output.Clear();
                for (int j = 0; j < assignmentWidth; j++)
                {
                    int a = t * assignmentWidth + j, row = rows[a];
                    if (row < 0) continue;
                    TensorPrimitives.MultiplyAdd(Span(source + (long)row * width, width), scales is null ? 1f : scales[a], output, output);
                }
            }
        });
    }

    /// <inheritdoc/>
    protected override void CombineGateGradientKernel(ReadOnlySpan<float> expertOutput, ReadOnlySpan<int> assignmentRow, ReadOnlySpan<float> dy, Span<float> dGates, int assignmentWidth, int width)
    {
        float* source = Pointer(expertOutput), upstream = Pointer(dy), target = Pointer(dGates);
        int* rows = Pointer(assignmentRow);
        ForRows(dGates.Length / Math.Max(assignmentWidth, 1), width * assignmentWidth, (first, count) =>
        {
            for (int a = first * assignmentWidth; a < (first + count) * assignmentWidth; a++)
            {
                int row = rows[a];
                target[a] = row < 0 ? 0f : TensorPrimitives.Dot(Span(source + (long)row * width, width), Span(upstream + (long)(a / assignmentWidth) * width, width));
            }
        });
    }
}
