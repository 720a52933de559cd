// CPU embedding (gather and deterministic scatter-add) and the AdamW step.
using System.Numerics.Tensors;
using SwitchNative.Devices.Cpu.Kernels;

namespace SwitchNative.Devices.Cpu;

public sealed unsafe partial class CpuDevice
{
    /// <inheritdoc/>
    protected override void EmbeddingKernel(ReadOnlySpan<float> table, ReadOnlySpan<int> ids, Span<float> y, int width)
    {
        float* rows = Pointer(table), output = Pointer(y);
        int* tokens = Pointer(ids);
        ForRows(ids.Length, width, (first, count) =>
        {
            for (int t = first; t < first + count; t++)
                Span(rows + (long)tokens[t] * width, width).CopyTo(Span(output + (long)t * width, width));
        });
    }

    /// <inheritdoc/>
    protected override void EmbeddingBackwardKernel(ReadOnlySpan<int> ids, ReadOnlySpan<float> dy, Span<float> dTable, int width)
    {
        // Split by columns, tokens in order: repeated ids sum in the same order on any thread count.
        float* upstream = Pointer(dy), gradient = Pointer(dTable);
        int* tokens = Pointer(ids);
        int tokenCount = ids.Length;
        _parallel.ForRanges(width, ColumnChunk, (columnStart, columns) =>
        {
            for (int t = 0; t < tokenCount; t++)
            {
                var row = Span(gradient + (long)tokens[t] * width + columnStart, columns);
                TensorPrimitives.Add(row, Span(upstream + (long)t * width + columnStart, columns), row);
            }
        });
    }

    /// <inheritdoc/>
    protected override void AdamWKernel(ReadOnlySpan<float> gradients, AdamWSettings settings, int step, Span<float> parameters, Span<float> firstMoment, Span<float> secondMoment)
    {
        float correction1 = (float)(1.0 / (1.0 - Math.Pow(settings.Beta1, step)));
        float correction2 = (float)(1.0 / (1.0 - Math.Pow(settings.Beta2, step)));
        float* g = Pointer(gradients), theta = Pointer(parameters), m = Pointer(firstMoment), v = Pointer(secondMoment);
        ForChunks(parameters.Length, (start, length) =>
            Kernels.AdamWKernel.Step(Span(g + start, length), settings, correction1, correction2, Span(theta + start, length), Span(m + start, length), Span(v + start, length)));
    }
}
