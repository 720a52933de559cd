// The streamed GEMMs' write of a finished Cᵀ block into C: with streaming (non-temporal) stores,
// taken for 16-row strips of an aligned C with whole 16-column blocks, it must put the same
// values in the same places as the plain write, leave everything else alone, and fall back to
// the plain write where C is not aligned or β ≠ 0. And a grouped product whose output is large
// enough to stream still equals the exact product.
using System.Runtime.InteropServices;
using SwitchNative.Devices;
using SwitchNative.Devices.Cpu;
using SwitchNative.Devices.Cpu.Gemm;
using SwitchNative.Tests.Infrastructure;

namespace SwitchNative.Tests.Devices;

public sealed unsafe class StreamedWriteTransposedTests
{
    [Theory]
    // 48 rows: three streamed strips; 43: two strips and 11 rows written plainly; 16 × 2048: one
    // strip over a whole column block; an offset C (not 64-byte aligned) or β = 1: plain only.
    [InlineData(48, 64, 0, false)]
    [InlineData(43, 96, 0, false)]
    [InlineData(16, 2048, 0, false)]
    [InlineData(48, 64, 4, false)]
    [InlineData(48, 64, 0, true)]
    public void Streaming_stores_write_what_plain_stores_write(int rows, int columns, int offset, bool accumulate)
    {
        int height = (rows + 15) / 16 * 16, ldc = columns + 32;
        var random = new System.Random(rows + columns);
        var block = Enumerable.Range(0, columns * height).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var initial = Enumerable.Range(0, rows * ldc + 64).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        float* plain = (float*)NativeMemory.AlignedAlloc((nuint)(initial.Length * sizeof(float)), 64);
        float* streamed = (float*)NativeMemory.AlignedAlloc((nuint)(initial.Length * sizeof(float)), 64);
        try
        {
            initial.CopyTo(new Span<float>(plain, initial.Length));
            initial.CopyTo(new Span<float>(streamed, initial.Length));
            fixed (float* source = block)
            {
                TransposedCWriter.WriteTransposed(source, height, plain + offset, ldc, rows, columns, accumulate, streaming: false);
                TransposedCWriter.WriteTransposed(source, height, streamed + offset, ldc, rows, columns, accumulate, streaming: true);
            }
            Assert.Equal(new Span<float>(plain, initial.Length).ToArray(), new Span<float>(streamed, initial.Length).ToArray());
            // The write did land: C[i, j] = block[j·height + i] (+ the old C[i, j] when accumulating).
            int last = (rows - 1) * ldc + columns - 1;
            float expected = block[(columns - 1) * height + rows - 1] + (accumulate ? initial[offset + last] : 0f);
            Assert.Equal(expected, streamed[offset + last]);
        }
        finally
        {
            NativeMemory.AlignedFree(plain);
            NativeMemory.AlignedFree(streamed);
        }
    }

    [Fact]
    public void A_grouped_product_with_a_streamed_output_matches_the_exact_product()
    {
        // 63 experts of 0–117 rows (an empty one, ragged strips) and a last one of 412 (many
        // rows) over 4096 rows × 1024 columns: a 16 MB output, so RunBatch marks it for streaming
        // stores; K = 24 keeps it quick.
        const int groups = 64, k = 24, n = 1024;
        var sizes = Enumerable.Range(0, groups).Select(g => g * 53 % 121).ToArray();
        sizes[^1] = 4096 - sizes[..^1].Sum();
        var offsets = new int[groups + 1];
        for (int g = 0; g < groups; g++) offsets[g + 1] = offsets[g] + sizes[g];
        int rows = offsets[^1];
        var x = TestData.Uniform(rows * k, seed: 21);
        var w = TestData.Uniform(groups * k * n, seed: 22);
        using IDevice device = new CpuDevice(2);
        using var input = device.FromArray<float>(x, [rows, k]);
        using var weights = device.FromArray<float>(w, [groups, k, n]);
        using var output = device.Allocate([rows, n]);
        device.GroupedGemm(input, weights, false, 1f, 0f, output, offsets);
        var result = device.ToArray(output);
        for (int g = 0; g < groups; g++)
            for (int r = offsets[g]; r < offsets[g + 1]; r++)
                for (int j = 0; j < n; j += 37)
                {
                    double exact = 0, magnitude = 0;
                    for (int p = 0; p < k; p++)
                    {
                        double term = (double)x[r * k + p] * w[(g * k + p) * n + j];
                        exact += term;
                        magnitude += Math.Abs(term);
                    }
                    // float32 sums of k terms: at most k·ε·Σ|terms| from the exact value.
                    Assert.True(Math.Abs(result[r * n + j] - exact) <= k * 6e-8 * magnitude + 1e-30, $"expert {g} row {r} column {j}: {result[r * n + j]} against {exact}");
                }
    }
}
