// BenchmarkDotNet suite over `compare gemm`'s shapes (dense, the two backward forms, grouped
// E = 8 and 64), on one thread and on all, ours against OpenBLAS's cblas_sgemm. Run:
//   OPENBLAS_CORETYPE=SkylakeX dotnet run -c Release --project perf/SwitchNative.Perf -- --filter '*GemmShapeBenchmarks*'
// The OpenBLAS rows need libopenblas (apt-get install libopenblas-dev); without it they fail with
// that message and ours still run. `compare gemm` times the same work (GemmCaseRun) alternating
// in one process, which suits this noisy machine better; this suite gives BenchmarkDotNet's
// statistics.
using BenchmarkDotNet.Attributes;

namespace SwitchNative.Perf;

[Config(typeof(GemmConfig))]
public class GemmShapeBenchmarks : IFlopCounted
{
    private GemmCaseRun? _run;

    public static IEnumerable<string> Shapes => GemmComparison.Cases.Select(item => item.Label);

    public static IEnumerable<int> ThreadCounts => new[] { 1, Environment.ProcessorCount }.Distinct();

    [ParamsSource(nameof(Shapes))]
    public string Shape { get; set; } = GemmComparison.Cases[0].Label;

    [ParamsSource(nameof(ThreadCounts))]
    public int Threads { get; set; } = 1;

    private GemmComparison.Case Case => GemmComparison.Cases.Single(item => item.Label == Shape);

    public double Flops => 2.0 * Case.M * Case.N * Case.K;

    [GlobalSetup(Target = nameof(Ours))]
    public void SetUpOurs() => _run = new GemmCaseRun(Case, Threads, withOpenBlas: false);

    [GlobalSetup(Target = nameof(OpenBlasSgemm))]
    public void SetUpOpenBlas()
    {
        if (!OpenBlas.TryLoad(out var message)) throw new InvalidOperationException(message);
        _run = new GemmCaseRun(Case, Threads, withOpenBlas: true);
    }

    [Benchmark(Baseline = true)]
    public void Ours() => _run!.Ours();

    [Benchmark]
    public void OpenBlasSgemm() => _run!.Peer!();

    [GlobalCleanup]
    public void Cleanup() => _run?.Dispose();
}
