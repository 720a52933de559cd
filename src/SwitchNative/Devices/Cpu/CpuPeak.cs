// Measures the machine's FP32 FMA peak: independent FMA chains (enough to cover the FMA
// latency on every port) on the widest accelerated vector, on one thread and on all threads.
// GEMM results and training MFU are quoted as a fraction of this number.
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SwitchNative.Devices.Cpu;

/// <summary>FP32 FMA throughput of this machine.</summary>
public static class CpuPeak
{
    /// <summary>
    /// GFLOP/s (2 flops per FMA lane) with <paramref name="threads"/> threads: the best of <paramref name="runs"/>
    /// runs of <paramref name="iterations"/> iterations. A peak is a capability, so the fastest run is the
    /// estimate; slower runs are other processes on a shared machine.
    /// </summary>
    public static double Measure(int threads, long iterations = 50_000_000, int runs = 5)
    {
        Chains(1000); // JIT and warm-up
        var samples = new List<double>();
        for (int run = 0; run < runs; run++)
        {
            // Dedicated threads: a thread pool may run short work items one after another on one thread.
            var workers = Enumerable.Range(0, threads).Select(_ => new Thread(() => Chains(iterations))).ToList();
            var stopwatch = Stopwatch.StartNew();
            workers.ForEach(worker => worker.Start());
            workers.ForEach(worker => worker.Join());
            double seconds = stopwatch.Elapsed.TotalSeconds;
            samples.Add(threads * iterations * 12.0 * Lanes * 2 / seconds / 1e9);
        }
        return samples.Max();
    }

    private const long BenchmarkIterations = 1_000_000;

    /// <summary>Floating-point operations of one <see cref="RunOnce"/>.</summary>
    public static double FlopsPerCall => BenchmarkIterations * 12.0 * Lanes * 2;

    /// <summary>One single-threaded burst of FMA chains (for BenchmarkDotNet).</summary>
    public static float RunOnce() => Chains(BenchmarkIterations);

    private static int Lanes => Vector512.IsHardwareAccelerated ? 16 : Vector256.IsHardwareAccelerated ? 8 : 4;

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Chains(long iterations) =>
        Vector512.IsHardwareAccelerated ? Chains512(iterations) : Vector256.IsHardwareAccelerated ? Chains256(iterations) : Chains128(iterations);

    // Twelve independent accumulators: latency 4 × 2 FMA ports = 8 in flight needed; 12 leaves margin.
    private static float Chains512(long iterations)
    {
        var m = Vector512.Create(0.999999f);
        var a = Vector512.Create(1e-7f);
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default, c8 = default, c9 = default, c10 = default, c11 = default;
        for (long i = 0; i < iterations; i++)
        {
            c0 = Vector512.FusedMultiplyAdd(c0, m, a); c1 = Vector512.FusedMultiplyAdd(c1, m, a); c2 = Vector512.FusedMultiplyAdd(c2, m, a);
            c3 = Vector512.FusedMultiplyAdd(c3, m, a); c4 = Vector512.FusedMultiplyAdd(c4, m, a); c5 = Vector512.FusedMultiplyAdd(c5, m, a);
            c6 = Vector512.FusedMultiplyAdd(c6, m, a); c7 = Vector512.FusedMultiplyAdd(c7, m, a); c8 = Vector512.FusedMultiplyAdd(c8, m, a);
            c9 = Vector512.FusedMultiplyAdd(c9, m, a); c10 = Vector512.FusedMultiplyAdd(c10, m, a); c11 = Vector512.FusedMultiplyAdd(c11, m, a);
        }
        return Vector512.Sum(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11);
    }

    private static float Chains256(long iterations)
    {
        var m = Vector256.Create(0.999999f);
        var a = Vector256.Create(1e-7f);
        Vector256<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default, c8 = default, c9 = default, c10 = default, c11 = default;
        for (long i = 0; i < iterations; i++)
        {
            c0 = Vector256.FusedMultiplyAdd(c0, m, a); c1 = Vector256.FusedMultiplyAdd(c1, m, a); c2 = Vector256.FusedMultiplyAdd(c2, m, a);
            c3 = Vector256.FusedMultiplyAdd(c3, m, a); c4 = Vector256.FusedMultiplyAdd(c4, m, a); c5 = Vector256.FusedMultiplyAdd(c5, m, a);
            c6 = Vector256.FusedMultiplyAdd(c6, m, a); c7 = Vector256.FusedMultiplyAdd(c7, m, a); c8 = Vector256.FusedMultiplyAdd(c8, m, a);
            c9 = Vector256.FusedMultiplyAdd(c9, m, a); c10 = Vector256.FusedMultiplyAdd(c10, m, a); c11 = Vector256.FusedMultiplyAdd(c11, m, a);
        }
        return Vector256.Sum(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11);
    }

    private static float Chains128(long iterations)
    {
        var m = Vector128.Create(0.999999f);
        var a = Vector128.Create(1e-7f);
        Vector128<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default, c8 = default, c9 = default, c10 = default, c11 = default;
        for (long i = 0; i < iterations; i++)
        {
            c0 = Vector128.MultiplyAddEstimate(c0, m, a); c1 = Vector128.MultiplyAddEstimate(c1, m, a); c2 = Vector128.MultiplyAddEstimate(c2, m, a);
            c3 = Vector128.MultiplyAddEstimate(c3, m, a); c4 = Vector128.MultiplyAddEstimate(c4, m, a); c5 = Vector128.MultiplyAddEstimate(c5, m, a);
            c6 = Vector128.MultiplyAddEstimate(c6, m, a); c7 = Vector128.MultiplyAddEstimate(c7, m, a); c8 = Vector128.MultiplyAddEstimate(c8, m, a);
            c9 = Vector128.MultiplyAddEstimate(c9, m, a); c10 = Vector128.MultiplyAddEstimate(c10, m, a); c11 = Vector128.MultiplyAddEstimate(c11, m, a);
        }
        return Vector128.Sum(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11);
    }
}
