// BenchmarkDotNet GEMM suite: our CPU GEMM (all cores, each transpose form) against
// MathNet.Numerics' managed provider on square products. Run:
//   dotnet run -c Release --project perf/SwitchNative.Perf -- --filter '*GemmBenchmarks*'
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using MathNet.Numerics.LinearAlgebra;
using SwitchNative.Devices.Cpu;
using SwitchNative.Tensors;

namespace SwitchNative.Perf;

public sealed class GemmConfig : ManualConfig
{
    public GemmConfig() => AddColumn(new GflopsColumn());
}

[Config(typeof(GemmConfig))]
public class GemmBenchmarks : IFlopCounted
{
    private CpuDevice _device = null!;
    private Tensor _a = null!, _b = null!, _c = null!;
    private Matrix<float> _left = null!, _right = null!, _product = null!;

    [Params(256, 1024)]
    public int Size { get; set; }

    public double Flops => 2.0 * Size * Size * Size;

    [GlobalSetup]
    public void Setup()
    {
        _device = new CpuDevice();
        _a = _device.Allocate([Size, Size]);
        _b = _device.Allocate([Size, Size]);
        _c = _device.Allocate([Size, Size]);
        _device.FillUniform(1, 1, -1, 1, _a);
        _device.FillUniform(1, 2, -1, 1, _b);
        _left = Matrix<float>.Build.Random(Size, Size);
        _right = Matrix<float>.Build.Random(Size, Size);
        _product = Matrix<float>.Build.Dense(Size, Size);
    }

    [Benchmark(Baseline = true)]
    public void Ours_NN() => _device.Gemm(_a, false, _b, false, 1f, 0f, _c);

    [Benchmark]
    public void Ours_TN() => _device.Gemm(_a, true, _b, false, 1f, 0f, _c);

    [Benchmark]
    public void Ours_NT() => _device.Gemm(_a, false, _b, true, 1f, 0f, _c);

    [Benchmark]
    public void MathNetManaged() => _left.Multiply(_right, _product);

    [GlobalCleanup]
    public void Cleanup() => _device.Dispose();
}

[Config(typeof(GemmConfig))]
public class CpuPeakBenchmark : IFlopCounted
{
    public double Flops => CpuPeak.FlopsPerCall;

    [Benchmark]
    public float OneThreadFmaChains() => CpuPeak.RunOnce();
}
