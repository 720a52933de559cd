// Entry point of the benchmarks:
//   peak              the machine's FP32 FMA peak (1 thread and all threads)
//   compare gemm [--json] [--shape TEXT]   GEMM and grouped GEMM vs OpenBLAS cblas_sgemm (shapes whose label contains TEXT)
//   compare switch-layer [--json]   Switch layer forward+backward vs the PyTorch peer
//   device [--device NAME] [--peak-gflops X]   Switch layer and training step on any device (GPU runs)
//   anything else     BenchmarkDotNet (e.g. --filter '*Gemm*')
using SwitchNative.Devices.Cpu;
using BenchmarkDotNet.Running;
using SwitchNative.Perf;

switch (args.FirstOrDefault())
{
    case "peak":
        Console.WriteLine($"FMA peak: {CpuPeak.Measure(1):F1} GFLOP/s on 1 thread, {CpuPeak.Measure(Environment.ProcessorCount):F1} GFLOP/s on {Environment.ProcessorCount} threads");
        break;
    case "compare" when args.ElementAtOrDefault(1) == "gemm":
        try
        {
            GemmComparison.Run(minimumRounds: 21, minimumSeconds: 1.0, json: args.Contains("--json"), shapeFilter: Option("--shape"));
        }
        catch (ArgumentException error)
        {
            Console.Error.WriteLine($"error: {error.Message}");
            return 2;
        }
        break;
    case "compare" when args.ElementAtOrDefault(1) == "switch-layer":
        SwitchLayerComparison.Run(repeats: 5, json: args.Contains("--json"));
        break;
    case "device":
        DeviceBenchmark.Run(Option("--device") ?? "ilgpu-cpu", Option("--peak-gflops") is { } peak ? double.Parse(peak, System.Globalization.CultureInfo.InvariantCulture) : null);
        break;
    default:
        BenchmarkSwitcher.FromAssembly(typeof(GemmBenchmarks).Assembly).Run(args);
        break;
}
return 0;

string? Option(string name) => args.SkipWhile(argument => argument != name).Skip(1).FirstOrDefault();
