// `compare gemm`: our CPU GEMM and OpenBLAS's cblas_sgemm on the same buffers, alternating
// run by run, on one and on all threads; median GFLOP/s of each, ratio and % of the measured
// FMA peak. The ratio is the median over rounds of OpenBLAS's time / ours in the same round:
// on a shared machine whole rounds land in slow phases, and a paired ratio cancels them where
// the ratio of two separate medians does not. Each case runs at least 21 rounds and at least
// a second of our product: the machine's slow phases last seconds, and 21 rounds of a 9 ms
// product (1024³ on 1 thread) fit inside one, so a run's median could read one phase (eight
// runs of 21 rounds read 1024³ anywhere from 0.95 to 1.02 on 1 thread, 0.95 to 1.15 on 2). OpenBLAS picks its kernels at load time: unset
// OPENBLAS_CORETYPE in this command's environment to let it use AVX-512
// (`env -u OPENBLAS_CORETYPE dotnet run ...`).
using System.Diagnostics;
using System.Text.Json;
using SwitchNative.Devices.Cpu;

namespace SwitchNative.Perf;

public static unsafe class GemmComparison
{
    /// <summary>A product C = op(A)·op(B) of logical size M×K×N; Grouped: E uneven groups of rows.</summary>
    public sealed record Case(string Label, int M, int K, int N, bool TransposeA = false, bool TransposeB = false, int Groups = 0);

    public static readonly Case[] Cases =
    [
        new("1024³", 1024, 1024, 1024),
        new("2048³", 2048, 2048, 2048),
        new("640×512×2048", 640, 512, 2048),
        new("640×2048×512", 640, 2048, 512),
        new("64×512×2048", 64, 512, 2048),
        new("4096×512×2048", 4096, 512, 2048),
        new("4096×512×2048 dX=dY·W", 4096, 2048, 512),
        new("4096×512×2048 dW=Xᵀ·dY", 512, 4096, 2048, TransposeA: true),
        new("4096×512×2048 A·Bᵀ", 4096, 512, 2048, TransposeB: true),
        // Expert products: 4096 rows split unevenly over E experts, each with its own 512×2048
        // weights; OpenBLAS runs one cblas_sgemm per expert. "% of 1 GEMM" compares with our
        // single 4096×512×2048 product (first expert's weights), timed in the same alternation.
        new("grouped E=8 4096×512×2048", 4096, 512, 2048, Groups: 8),
        new("grouped E=64 4096×512×2048", 4096, 512, 2048, Groups: 64),
        // The same with each expert's weights stored [N, K], as the Switch layer's forward x·Wᵀ reads them.
        new("grouped E=8 A·Bᵀ 4096×512×2048", 4096, 512, 2048, TransposeB: true, Groups: 8),
        new("grouped E=64 A·Bᵀ 4096×512×2048", 4096, 512, 2048, TransposeB: true, Groups: 64),
    ];

    /// <summary>
    /// Row offsets of <paramref name="groups"/> uneven groups over <paramref name="rows"/> rows:
    /// sizes proportional to 1 + (g·7 mod 5) (a 5:1 spread, like a poorly balanced router), with
    /// one empty group when there are more than 8.
    /// </summary>
    public static int[] UnevenOffsets(int rows, int groups)
    {
        var weights = Enumerable.Range(0, groups).Select(g => groups > 8 && g == groups / 2 ? 0 : 1 + g * 7 % 5).ToArray();
        int total = weights.Sum();
        var offsets = new int[groups + 1];
        for (int g = 0; g < groups; g++) offsets[g + 1] = offsets[g] + weights[g] * rows / total;
        offsets[groups] = rows;
        return offsets;
    }

    /// <param name="minimumRounds">Fewest rounds of each case.</param>
    /// <param name="minimumSeconds">Fewest seconds of our product in each case: short products run more rounds.</param>
    public static void Run(int minimumRounds, double minimumSeconds, bool json, string? shapeFilter = null)
    {
        var cases = Cases.Where(item => shapeFilter is null || item.Label.Contains(shapeFilter, StringComparison.OrdinalIgnoreCase)).ToArray();
        if (cases.Length == 0) throw new ArgumentException($"no shape matches '{shapeFilter}'; shapes: {string.Join(", ", Cases.Select(item => item.Label))}");
        bool haveOpenBlas = OpenBlas.TryLoad(out var openBlasNote);
        if (!json)
        {
            Console.WriteLine($"ours: {CpuVectorWidth.Current}; OpenBLAS: {openBlasNote}");
            if (Environment.GetEnvironmentVariable("OPENBLAS_CORETYPE") is { Length: > 0 } coreType)
                Console.WriteLine($"note: OPENBLAS_CORETYPE={coreType} pins OpenBLAS's kernels; unset it in this command to measure its best");
        }
        var peaks = new Dictionary<int, double>();
        var threadCounts = new[] { 1, Environment.ProcessorCount }.Distinct().ToArray();
        foreach (int threads in threadCounts) peaks[threads] = CpuPeak.Measure(threads);
        if (!json)
        {
            Console.WriteLine($"FMA peak: {string.Join(", ", peaks.Select(p => $"{p.Value:F0} GFLOP/s on {p.Key} thread(s)"))}");
            Console.WriteLine($"{"shape (M×K×N)",-34} {"threads",7} {"ours GFLOP/s",13} {"OpenBLAS",9} {"ratio",6} {"% peak",7} {"% of 1 GEMM",12}");
        }
        foreach (var item in cases)
            foreach (int threads in threadCounts)
            {
                var timing = Measure(item, threads, minimumRounds, minimumSeconds, haveOpenBlas);
                double flops = 2.0 * item.M * item.N * item.K;
                double oursRate = flops / Median(timing[0]) / 1e9, peerRate = flops / Median(timing[1]) / 1e9;
                double ratio = PairedRatio(timing[1], timing[0]);
                // Same flops: the grouped rate over the single product's rate is the inverse time ratio.
                double? ofSingle = item.Groups > 0 ? PairedRatio(timing[2], timing[0]) : null;
                if (json)
                    Console.WriteLine(JsonSerializer.Serialize(new { shape = item.Label, item.M, item.K, item.N, transpose_a = item.TransposeA, transpose_b = item.TransposeB, groups = item.Groups, threads, ours_gflops = oursRate, openblas_gflops = haveOpenBlas ? peerRate : (double?)null, ratio = haveOpenBlas ? ratio : (double?)null, peak_fraction = oursRate / peaks[threads], fraction_of_single_gemm = ofSingle }));
                else
                    Console.WriteLine($"{item.Label,-34} {threads,7} {oursRate,13:F1} {(haveOpenBlas ? peerRate.ToString("F1") : "n/a"),9} {(haveOpenBlas ? ratio.ToString("F2") : "n/a"),6} {100 * oursRate / peaks[threads],6:F0}% {(ofSingle is { } f ? $"{100 * f,11:F0}%" : "")}");
            }
    }

    // Seconds per round of ours and of OpenBLAS (and, for grouped cases, of our single product of
    // the same size), alternating so all see the same machine state.
    private static List<double>[] Measure(Case item, int threads, int minimumRounds, double minimumSeconds, bool haveOpenBlas)
    {
        using var run = new GemmCaseRun(item, threads, haveOpenBlas);
        return Alternate(minimumRounds, minimumSeconds, run.Ours, run.Peer, run.Single);
    }

    // Seconds of each contender per round, run by run in turn after one untimed warm-up round,
    // until there are minimumRounds rounds and the first contender's timed total reaches
    // minimumSeconds; empty for a missing contender.
    private static List<double>[] Alternate(int minimumRounds, double minimumSeconds, params Action?[] contenders)
    {
        var seconds = contenders.Select(_ => new List<double>()).ToArray();
        double firstTotal = 0;
        for (int run = 0; run <= minimumRounds || firstTotal < minimumSeconds; run++)
            for (int index = 0; index < contenders.Length; index++)
            {
                if (contenders[index] is not { } contender) continue;
                var stopwatch = Stopwatch.StartNew();
                contender();
                double elapsed = stopwatch.Elapsed.TotalSeconds;
                if (run == 0) continue;
                seconds[index].Add(elapsed);
                if (index == 0) firstTotal += elapsed;
            }
        return seconds;
    }

    // NaN when there are no samples (OpenBLAS missing).
    private static double Median(IEnumerable<double> samples)
    {
        var sorted = samples.Order().ToList();
        return sorted.Count == 0 ? double.NaN : sorted[sorted.Count / 2];
    }

    // Median over rounds of numerator[round] / denominator[round].
    private static double PairedRatio(List<double> numerator, List<double> denominator) =>
        Median(numerator.Zip(denominator, (top, bottom) => top / bottom));
}
