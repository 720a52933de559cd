// One `compare gemm` case set up on a CPU device: its buffers, and the calls that time it. Shared
// by the side-by-side runner (GemmComparison) and the BenchmarkDotNet suite (GemmShapeBenchmarks),
// so both time exactly the same work.
using SwitchNative.Devices.Cpu;
using SwitchNative.Devices.Host;
using SwitchNative.Tensors;

namespace SwitchNative.Perf;

/// <summary>The operands of one case on a CPU device of <c>threads</c> threads.</summary>
public sealed unsafe class GemmCaseRun : IDisposable
{
    private readonly CpuDevice _device;
    private readonly List<Tensor> _tensors = [];

    /// <param name="item">The case.</param>
    /// <param name="threads">Threads of our device and of OpenBLAS.</param>
    /// <param name="withOpenBlas">Whether to set up OpenBLAS's call (the library must be loaded: <see cref="OpenBlas.TryLoad"/>).</param>
    public GemmCaseRun(GemmComparison.Case item, int threads, bool withOpenBlas)
    {
        _device = new CpuDevice(threads);
        if (withOpenBlas) OpenBlas.Threads(threads);
        if (item.Groups > 0) SetUpGrouped(item, withOpenBlas);
        else SetUpSingle(item, withOpenBlas);
    }

    /// <summary>Our product (one GroupedGemm call for a grouped case).</summary>
    public Action Ours { get; private set; } = null!;

    /// <summary>OpenBLAS's (one cblas_sgemm per group for a grouped case); null without OpenBLAS.</summary>
    public Action? Peer { get; private set; }

    /// <summary>Grouped cases only: our single product of the same M, K and N, for "% of 1 GEMM".</summary>
    public Action? Single { get; private set; }

    private void SetUpSingle(GemmComparison.Case item, bool withOpenBlas)
    {
        var a = Allocate(item.TransposeA ? [item.K, item.M] : [item.M, item.K], stream: 1);
        var b = Allocate(item.TransposeB ? [item.N, item.K] : [item.K, item.N], stream: 2);
        var c = Allocate([item.M, item.N], stream: null);
        Ours = () => _device.Gemm(a, item.TransposeA, b, item.TransposeB, 1f, 0f, c);
        float* pa = Pointer(a), pb = Pointer(b), pc = Pointer(c);
        if (withOpenBlas) Peer = () => OpenBlas.Gemm(item.TransposeA, item.TransposeB, item.M, item.N, item.K, 1f, pa, pb, 0f, pc);
    }

    // Ours is one GroupedGemm call over uneven groups of rows; OpenBLAS one cblas_sgemm per group.
    // With TransposeB each group's weights are stored [N, K] (the Switch layer's forward x·Wᵀ).
    private void SetUpGrouped(GemmComparison.Case item, bool withOpenBlas)
    {
        var offsets = GemmComparison.UnevenOffsets(item.M, item.Groups);
        var a = Allocate([item.M, item.K], stream: 1);
        var b = Allocate(item.TransposeB ? [item.Groups, item.N, item.K] : [item.Groups, item.K, item.N], stream: 2);
        var c = Allocate([item.M, item.N], stream: null);
        var singleWeights = Allocate(item.TransposeB ? [item.N, item.K] : [item.K, item.N], stream: 3);
        Ours = () => _device.GroupedGemm(a, b, item.TransposeB, 1f, 0f, c, offsets);
        Single = () => _device.Gemm(a, false, singleWeights, item.TransposeB, 1f, 0f, c);
        float* pa = Pointer(a), pb = Pointer(b), pc = Pointer(c);
        if (withOpenBlas)
            Peer = () =>
            {
                for (int g = 0; g < item.Groups; g++)
                {
                    int rows = offsets[g + 1] - offsets[g];
                    if (rows > 0) OpenBlas.Gemm(false, item.TransposeB, rows, item.N, item.K, 1f, pa + (long)offsets[g] * item.K, pb + (long)g * item.K * item.N, 0f, pc + (long)offsets[g] * item.N);
                }
            };
    }

    // A tensor of the device, filled uniformly in [-1, 1) from random stream `stream` of seed 1
    // (left as allocated without one).
    private Tensor Allocate(Shape shape, uint? stream)
    {
        var tensor = _device.Allocate(shape);
        _tensors.Add(tensor);
        if (stream is { } id) _device.FillUniform(1, id, -1, 1, tensor);
        return tensor;
    }

    private static float* Pointer(Tensor tensor) => (float*)((HostBuffer)tensor.Buffer).Pointer + tensor.ElementOffset;

    public void Dispose()
    {
        foreach (var tensor in _tensors) tensor.Dispose();
        _device.Dispose();
    }
}
