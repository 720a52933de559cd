// A quick side-by-side GEMM timer (no BenchmarkDotNet start-up cost): our CPU GEMM on one and
// on all threads against MathNet's managed provider, median of alternating runs, GFLOP/s and
// the fraction of the measured FMA peak.
using System.Diagnostics;
using SwitchNative.Devices.Cpu;

namespace SwitchNative.Perf;

/// <summary>Times <c>C = A·B</c> at a few sizes.</summary>
public static class GemmTimer
{
    /// <summary>Prints one table row per (shape, thread count).</summary>
    public static void Run(IReadOnlyList<(int M, int K, int N)> shapes, int repeats)
    {
        double peakOne = CpuPeak.Measure(1), peakAll = CpuPeak.Measure(Environment.ProcessorCount);
        Console.WriteLine($"vector width {CpuVectorWidth.Current}; FMA peak {peakOne:F0} GFLOP/s on 1 thread, {peakAll:F0} on {Environment.ProcessorCount}");
        Console.WriteLine($"{"M×K×N",-18} {"threads",7} {"ours GFLOP/s",13} {"% peak",7} {"MathNet GFLOP/s",16} {"ratio",7}");
        foreach (var (m, k, n) in shapes)
        {
            foreach (int threads in new[] { 1, Environment.ProcessorCount }.Distinct())
            {
                using var device = new CpuDevice(threads);
                using var a = device.Allocate([m, k]);
                using var b = device.Allocate([k, n]);
                using var c = device.Allocate([m, n]);
                device.FillUniform(1, 1, -1, 1, a);
                device.FillUniform(1, 2, -1, 1, b);
                var ours = new List<double>();
                var peer = new List<double>();
                var left = MathNet.Numerics.LinearAlgebra.Matrix<float>.Build.Random(m, k);
                var right = MathNet.Numerics.LinearAlgebra.Matrix<float>.Build.Random(k, n);
                var product = MathNet.Numerics.LinearAlgebra.Matrix<float>.Build.Dense(m, n);
                bool timePeer = (long)m * n * k <= 1L << 30;
                for (int run = 0; run < repeats + 1; run++)
                {
                    var stopwatch = Stopwatch.StartNew();
                    device.Gemm(a, false, b, false, 1f, 0f, c);
                    if (run > 0) ours.Add(stopwatch.Elapsed.TotalSeconds);
                    if (!timePeer) continue;
                    stopwatch.Restart();
                    left.Multiply(right, product);
                    if (run > 0) peer.Add(stopwatch.Elapsed.TotalSeconds);
                }
                double flops = 2.0 * m * n * k;
                double oursRate = flops / Median(ours) / 1e9;
                double peerRate = timePeer ? flops / Median(peer) / 1e9 : double.NaN;
                double peak = threads == 1 ? peakOne : peakAll;
                Console.WriteLine($"{$"{m}×{k}×{n}",-18} {threads,7} {oursRate,13:F1} {100 * oursRate / peak,6:F0}% {peerRate,16:F1} {oursRate / peerRate,7:F2}");
            }
        }
    }

    private static double Median(List<double> samples)
    {
        samples.Sort();
        return samples[samples.Count / 2];
    }
}
