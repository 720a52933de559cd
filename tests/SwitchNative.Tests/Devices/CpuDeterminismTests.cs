// The CPU device's results must not depend on its thread count: same inputs, 1, 2 and 3
// threads, identical bits for every op that splits work.
using SwitchNative.Devices;
using SwitchNative.Devices.Cpu;
using SwitchNative.Tests.Infrastructure;

namespace SwitchNative.Tests.Devices;

public sealed class CpuDeterminismTests
{
    private static void SameBitsForEveryThreadCount(Func<IDevice, float[]> run, string what)
    {
        float[]? first = null;
        foreach (int threads in new[] { 1, 2, 3 })
        {
            using var device = new CpuDevice(threads);
            var result = run(device);
            if (first is null) first = result;
            else Close.Bitwise(first, result, $"{what} with {threads} threads");
        }
    }

    // C = α·op(A)·op(B) + β·C for uniform A, B and C (seeds seed, seed + 1, seed + 2).
    private static void GemmHasSameBitsForEveryThreadCount(int m, int k, int n, bool transposeA, bool transposeB, float alpha, float beta, int seed)
    {
        var a = TestData.Uniform(m * k, seed: seed);
        var b = TestData.Uniform(k * n, seed: seed + 1);
        var initial = TestData.Uniform(m * n, seed: seed + 2);
        SameBitsForEveryThreadCount(device =>
        {
            using var left = device.FromArray<float>(a, transposeA ? [k, m] : [m, k]);
            using var right = device.FromArray<float>(b, transposeB ? [n, k] : [k, n]);
            using var c = device.FromArray<float>(initial, [m, n]);
            device.Gemm(left, transposeA, right, transposeB, alpha, beta, c);
            return device.ToArray(c);
        }, $"GEMM {m}×{k}×{n} Aᵀ={transposeA} Bᵀ={transposeB} α={alpha} β={beta}");
    }

    [Fact]
    public void Gemm_is_thread_count_invariant()
    {
        // (400, 600, 130): split along rows, three threads get fewer rows than a row block each,
        // yet the product keeps its many-rows depth blocks (which set the rounding).
        // (64, 1000, 2100) and (150, 70, 40): few rows (the streamed path on AVX-512), split along
        // columns across its 2048-column block, and along rows into different row groups.
        // (3085, 600, 3100): many rows and more columns, so the threads share the packed A blocks:
        // two row chunks of 3072 + 13 rows, two depth blocks, seven column blocks (four steps, both
        // buffers used twice); with 3 threads on a 2-core machine one usually starts late.
        // (3300, 520, 3100): more rows than columns, so they share the packed B blocks: two column
        // chunks of 3072 + 28, two depth blocks, 18 bands of rows (the last ragged).
        foreach (var (m, k, n) in new[] { (300, 200, 500), (700, 300, 90), (64, 1000, 2100), (400, 600, 130), (150, 70, 40), (3085, 600, 3100), (3300, 520, 3100) })
            GemmHasSameBitsForEveryThreadCount(m, k, n, transposeA: true, transposeB: false, 1f, 0f, seed: 1);
    }

    [Fact]
    public void Gemm_with_a_transposed_B_is_thread_count_invariant()
    {
        // C = A·Bᵀ with few rows (the Switch layer's x·Wᵀ). On AVX-512: (64, 512, 2100) and
        // (150, 400, 40) run on the streamed-Bᵀ path, cut along columns across its 2048-column
        // block and along rows into different row groups; (20, 512, 300) and (100, 2100, 50) run
        // as dot products (too few rows; too deep). On AVX2 all four run as dot products.
        foreach (var (m, k, n) in new[] { (64, 512, 2100), (150, 400, 40), (20, 512, 300), (100, 2100, 50) })
            GemmHasSameBitsForEveryThreadCount(m, k, n, transposeA: false, transposeB: true, 1f, 0f, seed: 8);
    }

    [Fact]
    public void Gemm_packing_inside_its_tiles_is_thread_count_invariant()
    {
        // Many rows, row-major A and B, N ≤ 512: each thread packs its own B̃ from its first band's
        // first row of tiles and every row's Ã from its first tile (AVX-512), so which thread packs
        // what depends on the thread count; the sums must not. 653 rows: bands of 84, the last of
        // 65 with a ragged row panel; 200 columns: a ragged last tile; K = 1100: three depth blocks.
        // α = 0.5 packs Ã before the tiles instead; β = 1 adds into C. (300, 700, 650) and
        // (400, 700, 650): on one thread the first row of tiles of each 256-column block packs B̃
        // (two depth blocks, a ragged last column tile); on two or three, N > 512, so each thread
        // takes a row rectangle (25 and 12–13 row panels) and its tiles pack its own B̃.
        foreach (var (m, k, n, alpha, beta) in new[] { (653, 1100, 200, 1f, 0f), (653, 1100, 200, 0.5f, 1f), (3085, 20, 37, 1f, 0f), (300, 700, 650, 1f, 1f), (400, 700, 650, 1f, 1f) })
            GemmHasSameBitsForEveryThreadCount(m, k, n, transposeA: false, transposeB: false, alpha, beta, seed: 5);
    }

    [Fact]
    public void Gemm_shared_packing_plans_are_thread_count_invariant()
    {
        // The products that still share packing on several threads. Aᵀ stored, 300 rows (fewer
        // than 256 a thread) and N ≥ M: the threads pack each Ã chunk together and take column
        // blocks. Bᵀ stored, N > 512 (the tiles do not pack a transposed B): (400, 700, 650)
        // shares a B̃ packed before the bands; (300, 700, 650), N ≥ 2·M, an Ã. Three depth blocks
        // where K = 1100; β = 1 adds into C.
        foreach (var (m, k, n, transposeA, transposeB) in new[] { (300, 1100, 650, true, false), (400, 700, 650, false, true), (300, 1100, 650, false, true) })
            GemmHasSameBitsForEveryThreadCount(m, k, n, transposeA, transposeB, 1f, 1f, seed: 11);
    }

    [Fact]
    public void Grouped_gemms_run_as_one_job_equal_one_gemm_per_group_bit_for_bit()
    {
        // Groups of 0, 1, 7, 40 and 300 rows (an empty expert, a single token, a ragged tile,
        // one that splits along rows); the batch must change scheduling only, never a bit.
        int[] offsets = [0, 0, 1, 8, 48, 348];
        int groups = offsets.Length - 1, rows = offsets[^1], k = 37, n = 70;
        var x = TestData.Uniform(rows * k, seed: 3);
        var weights = TestData.Uniform(groups * k * n, seed: 4);
        var dy = TestData.Uniform(rows * n, seed: 5);
        foreach (int threads in new[] { 1, 2, 3 })
        {
            using var device = new CpuDevice(threads);
            using var input = device.FromArray<float>(x, [rows, k]);
            using var w = device.FromArray<float>(weights, [groups, k, n]);
            using var gradient = device.FromArray<float>(dy, [rows, n]);
            using var grouped = device.Allocate([rows, n]);
            using var groupedWeightGradient = device.Allocate([groups, k, n]);
            device.GroupedGemm(input, w, false, 0.5f, 0f, grouped, offsets);
            device.GroupedGemmWeightGradient(input, gradient, 1f, 0f, groupedWeightGradient, offsets);
            var oneByOne = new float[rows * n];
            var weightGradientOneByOne = new float[groups * k * n];
            for (int g = 0; g < groups; g++)
            {
                int first = offsets[g], count = offsets[g + 1] - first;
                using var part = device.FromArray<float>(x[(first * k)..((first + count) * k)], [count, k]);
                using var weight = device.FromArray<float>(weights[(g * k * n)..((g + 1) * k * n)], [k, n]);
                using var partGradient = device.FromArray<float>(dy[(first * n)..((first + count) * n)], [count, n]);
                using var output = device.Allocate([count, n]);
                using var weightGradient = device.Allocate([k, n]);
                device.Gemm(part, false, weight, false, 0.5f, 0f, output);
                device.Gemm(part, true, partGradient, false, 1f, 0f, weightGradient);
                device.ToArray(output).CopyTo(oneByOne, first * n);
                device.ToArray(weightGradient).CopyTo(weightGradientOneByOne, g * k * n);
            }
            Close.Bitwise(oneByOne, device.ToArray(grouped), $"grouped GEMM, {threads} threads");
            Close.Bitwise(weightGradientOneByOne, device.ToArray(groupedWeightGradient), $"grouped weight gradient, {threads} threads");
        }
    }

    [Fact]
    public void Many_small_experts_taken_whole_by_one_thread_each_equal_one_gemm_per_expert_bit_for_bit()
    {
        // Enough work to run in parallel, with experts small beside the batch: on 2 and 3 threads
        // those of at most 1/(4·threads) of the batch run whole, each on one thread, and the
        // larger ones are still cut into row bands. Rows hit every row-group size, padded groups,
        // the residual rows and an empty expert. Row-major weights (the streamed path on AVX-512;
        // the Switch layer's dX = dY·W) and transposed ones (the packed path; its forward x·Wᵀ).
        int[] sizes = [0, 5, 17, 33, 64, 70, 21, 48, 90, 16, 3, 40, 9, 65];
        int[] offsets = [0, .. sizes.Select((_, g) => sizes[..(g + 1)].Sum())];
        int groups = sizes.Length, rows = offsets[^1], k = 64, n = 300;
        var x = TestData.Uniform(rows * k, seed: 6);
        var dy = TestData.Uniform(rows * n, seed: 8);
        var weights = TestData.Uniform(groups * k * n, seed: 7);
        float[]? first = null;
        foreach (int threads in new[] { 1, 2, 3 })
        {
            using var device = new CpuDevice(threads);
            using var input = device.FromArray<float>(x, [rows, k]);
            using var gradient = device.FromArray<float>(dy, [rows, n]);
            using var w = device.FromArray<float>(weights, [groups, k, n]);
            using var grouped = device.Allocate([rows, n]);
            using var groupedInputGradient = device.Allocate([rows, k]);
            device.GroupedGemm(input, w, false, 1f, 0f, grouped, offsets);
            device.GroupedGemm(gradient, w, true, 1f, 0f, groupedInputGradient, offsets);
            float[] result = [.. device.ToArray(grouped), .. device.ToArray(groupedInputGradient)];
            var oneByOne = new float[rows * n + rows * k];
            for (int g = 0; g < groups; g++)
            {
                int start = offsets[g], count = sizes[g];
                if (count == 0) continue;
                using var part = device.FromArray<float>(x[(start * k)..((start + count) * k)], [count, k]);
                using var partGradient = device.FromArray<float>(dy[(start * n)..((start + count) * n)], [count, n]);
                using var weight = device.FromArray<float>(weights[(g * k * n)..((g + 1) * k * n)], [k, n]);
                using var output = device.Allocate([count, n]);
                using var inputGradient = device.Allocate([count, k]);
                device.Gemm(part, false, weight, false, 1f, 0f, output);
                device.Gemm(partGradient, false, weight, true, 1f, 0f, inputGradient);
                device.ToArray(output).CopyTo(oneByOne, start * n);
                device.ToArray(inputGradient).CopyTo(oneByOne, rows * n + start * k);
            }
            Close.Bitwise(oneByOne, result, $"grouped GEMMs of small experts, {threads} threads");
            first ??= result;
            Close.Bitwise(first, result, $"grouped GEMMs of small experts, {threads} threads against 1");
        }
    }

    [Fact]
    public void Row_ops_reductions_and_scatters_are_thread_count_invariant()
    {
        const int rows = 700, columns = 300, vocabulary = 50;
        var x = TestData.Uniform(rows * columns, seed: 1);
        var dy = TestData.Uniform(rows * columns, seed: 2);
        var weight = TestData.Uniform(columns, seed: 3);
        var ids = TestData.Integers(rows, seed: 4, bound: vocabulary);
        SameBitsForEveryThreadCount(device =>
        {
            using var input = device.FromArray<float>(x, [rows, columns]);
            using var upstream = device.FromArray<float>(dy, [rows, columns]);
            using var scale = device.FromArray<float>(weight, [columns]);
            using var output = device.Allocate([rows, columns]);
            using var rho = device.Allocate([rows]);
            using var dx = device.Allocate([rows, columns]);
            using var dWeight = device.Allocate([columns]);
            device.RmsNorm(input, scale, 1e-5f, output, rho);
            device.RmsNormBackward(input, scale, rho, upstream, dx, dWeight);
            using var softmax = device.Allocate([rows, columns]);
            device.Softmax(input, softmax);
            using var sum = device.Allocate([1]);
            device.SumOfSquares(input, sum);
            using var tokenIds = device.FromArray<int>(ids, [rows]);
            using var dTable = device.Allocate([vocabulary, columns]);
            device.EmbeddingBackward(tokenIds, upstream, dTable);
            using var qkv = device.FromArray<float>(x.AsSpan(0, 2 * 50 * 3 * 32).ToArray(), [2, 50, 96]);
            using var attention = device.Allocate([2, 4, 50, 50]);
            using var attended = device.Allocate([2, 50, 32]);
            device.CausalAttention(qkv, 4, attention, attended);
            return [.. device.ToArray(output), .. device.ToArray(dx), .. device.ToArray(dWeight), .. device.ToArray(softmax), .. device.ToArray(sum), .. device.ToArray(dTable), .. device.ToArray(attended)];
        }, "row ops");
    }
}
