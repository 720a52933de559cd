// The CPU device: SIMD kernels (Vector512 → Vector256 → Vector128 → scalar tails, or
// TensorPrimitives where it already does the job), a packed GEMM, and work spread over a
// fixed number of threads in chunks that do not depend on the thread count.
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using SwitchNative.Devices.Cpu.Gemm;
using SwitchNative.Devices.Cpu.Kernels;
using SwitchNative.Devices.Host;

namespace SwitchNative.Devices.Cpu;

/// <summary>SIMD, multithreaded kernels on host memory.</summary>
public sealed unsafe partial class CpuDevice : HostDevice
{
    /// <summary>The registry name.</summary>
    public const string DeviceName = "cpu";

    // Element-wise work is cut into chunks of this many elements (about 128 KiB of floats):
    // big enough to amortize a task, small enough to balance two cores.
    private const int ElementChunk = 32768;

    private readonly CpuParallel _parallel;
    private readonly PackedGemm<TallMicroKernel512, MicroKernel512>? _gemm512;
    private readonly PackedGemm<MicroKernel256, MicroKernel256>? _gemm256;
    private readonly PackedGemm<MicroKernel128, MicroKernel128>? _gemm128;

    /// <summary>Creates the device with <paramref name="threadCount"/> threads (default: one per core).</summary>
    public CpuDevice(int threadCount = 0)
    {
        _parallel = new CpuParallel(threadCount == 0 ? Environment.ProcessorCount : threadCount);
        if (Vector512.IsHardwareAccelerated) _gemm512 = new PackedGemm<TallMicroKernel512, MicroKernel512>(_parallel, GemmFewRowsPath.StreamedVector512);
        else if (Vector256.IsHardwareAccelerated) _gemm256 = new PackedGemm<MicroKernel256, MicroKernel256>(_parallel, Fma.IsSupported ? GemmFewRowsPath.StreamedVector256 : GemmFewRowsPath.Packed);
        else _gemm128 = new PackedGemm<MicroKernel128, MicroKernel128>(_parallel, GemmFewRowsPath.Packed);
    }

    /// <inheritdoc/>
    public override string Name => DeviceName;

    /// <summary>Threads the kernels use.</summary>
    public int ThreadCount => _parallel.ThreadCount;

    /// <inheritdoc/>
    public override string Description => $"cpu ({CpuVectorWidth.Current}, {ThreadCount} thread{(ThreadCount == 1 ? "" : "s")})";

    /// <inheritdoc/>
    public override void Dispose()
    {
        _gemm512?.Dispose();
        _gemm256?.Dispose();
        _gemm128?.Dispose();
        _parallel.Dispose();
        base.Dispose();
    }

    // Host spans always wrap native HostBuffer memory, which never moves, so a raw pointer taken
    // from one stays valid for the whole call and can be handed to worker threads.
    private static float* Pointer(ReadOnlySpan<float> span) => (float*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(span));

    private static int* Pointer(ReadOnlySpan<int> span) => (int*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(span));

    private static Span<float> Span(float* start, int length) => new(start, length);

    /// <summary>Runs <paramref name="body"/>(start, length) over chunks of a flat range.</summary>
    private void ForChunks(int length, Action<int, int> body) => _parallel.ForRanges(length, ElementChunk, body);

    /// <summary>Runs <paramref name="body"/>(firstRow, rowCount) over chunks of rows holding about ElementChunk elements.</summary>
    private void ForRows(int rows, int columns, Action<int, int> body) =>
        _parallel.ForRanges(rows, Math.Max(1, ElementChunk / Math.Max(columns, 1)), body);

    /// <inheritdoc/>
    protected override void GemmKernel(ReadOnlySpan<float> a, bool transposeA, ReadOnlySpan<float> b, bool transposeB, float alpha, float beta, Span<float> c, int m, int n, int k) =>
        RunGemms([new GemmProblem(new GemmOperand(Pointer(a), m, k, transposeA), new GemmOperand(Pointer(b), k, n, transposeB), alpha, beta, Pointer(c), m, n, k)]);

    /// <inheritdoc/>
    /// <remarks>All experts' products run as one job: the threads meet once, not once per expert.</remarks>
    protected override void GroupedGemmKernel(ReadOnlySpan<float> a, ReadOnlySpan<float> b, bool transposeB, float alpha, float beta, Span<float> c, ReadOnlySpan<int> rowOffsets, int n, int k)
    {
        var problems = new GemmProblem[rowOffsets.Length - 1];
        float* left = Pointer(a), right = Pointer(b), output = Pointer(c);
        for (int group = 0; group < problems.Length; group++)
        {
            int first = rowOffsets[group], rows = rowOffsets[group + 1] - first;
            problems[group] = new GemmProblem(new GemmOperand(left + (long)first * k, rows, k, false), new GemmOperand(right + (long)group * n * k, k, n, transposeB), alpha, beta, output + (long)first * n, rows, n, k);
        }
        RunGemms(problems);
    }

    /// <inheritdoc/>
    /// <remarks>All experts' weight gradients run as one job.</remarks>
    protected override void GroupedGemmWeightGradientKernel(ReadOnlySpan<float> a, ReadOnlySpan<float> b, float alpha, float beta, Span<float> c, ReadOnlySpan<int> rowOffsets, int m, int n)
    {
        var problems = new GemmProblem[rowOffsets.Length - 1];
        float* left = Pointer(a), right = Pointer(b), output = Pointer(c);
        for (int group = 0; group < problems.Length; group++)
        {
            int first = rowOffsets[group], rows = rowOffsets[group + 1] - first;
            problems[group] = new GemmProblem(new GemmOperand(left + (long)first * m, m, rows, true), new GemmOperand(right + (long)first * n, rows, n, false), alpha, beta, output + (long)group * m * n, m, n, rows);
        }
        RunGemms(problems);
    }

    private void RunGemms(ReadOnlySpan<GemmProblem> problems)
    {
        if (_gemm512 is not null) _gemm512.RunBatch(problems);
        else if (_gemm256 is not null) _gemm256.RunBatch(problems);
        else _gemm128!.RunBatch(problems);
    }

    /// <inheritdoc/>
    protected override void BinaryKernel(BinaryOp op, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> destination)
    {
        float* first = Pointer(a), second = Pointer(b), target = Pointer(destination);
        ForChunks(destination.Length, (start, length) =>
        {
            var x = Span(first + start, length);
            var y = Span(second + start, length);
            if (op == BinaryOp.Add) TensorPrimitives.Add(x, y, Span(target + start, length));
            else TensorPrimitives.Multiply(x, y, Span(target + start, length));
        });
    }

    /// <inheritdoc/>
    protected override void ScaleKernel(ReadOnlySpan<float> x, float alpha, Span<float> destination)
    {
        float* source = Pointer(x), target = Pointer(destination);
        ForChunks(destination.Length, (start, length) => TensorPrimitives.Multiply(Span(source + start, length), alpha, Span(target + start, length)));
    }

    /// <inheritdoc/>
    protected override void AxpyKernel(ReadOnlySpan<float> x, float alpha, Span<float> y)
    {
        float* source = Pointer(x), target = Pointer(y);
        ForChunks(y.Length, (start, length) =>
        {
            var output = Span(target + start, length);
            TensorPrimitives.MultiplyAdd(Span(source + start, length), alpha, output, output);
        });
    }

    /// <inheritdoc/>
    protected override void ActivationKernel(ActivationOp op, ReadOnlySpan<float> x, Span<float> y)
    {
        float* source = Pointer(x), target = Pointer(y);
        ForChunks(y.Length, (start, length) =>
        {
            if (op == ActivationOp.Relu) TensorPrimitives.Max(Span(source + start, length), 0f, Span(target + start, length));
            else ElementwiseLoops.Unary<GeluOperator>(Span(source + start, length), Span(target + start, length));
        });
    }

    /// <inheritdoc/>
    protected override void ActivationBackwardKernel(ActivationOp op, ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx)
    {
        float* input = Pointer(x), upstream = Pointer(dy), target = Pointer(dx);
        ForChunks(dx.Length, (start, length) =>
        {
            if (op == ActivationOp.Relu) ElementwiseLoops.Binary<ReluBackwardOperator>(Span(input + start, length), Span(upstream + start, length), Span(target + start, length));
            else ElementwiseLoops.Binary<GeluBackwardOperator>(Span(input + start, length), Span(upstream + start, length), Span(target + start, length));
        });
    }

    /// <inheritdoc/>
    protected override float ReduceKernel(ReductionOp op, ReadOnlySpan<float> x)
    {
        if (x.Length == 0) return op == ReductionOp.Max ? float.NegativeInfinity : 0f;
        // Fixed chunks, partial results combined in chunk order: the same bits for any thread count.
        int chunks = (x.Length + ElementChunk - 1) / ElementChunk;
        var partials = new double[chunks];
        float* source = Pointer(x);
        ForChunks(x.Length, (start, length) =>
        {
            var values = Span(source + start, length);
            partials[start / ElementChunk] = op switch
            {
                ReductionOp.Sum => TensorPrimitives.Sum(values),
                ReductionOp.SumOfSquares => TensorPrimitives.SumOfSquares(values),
                _ => TensorPrimitives.Max(values),
            };
        });
        double total = op == ReductionOp.Max ? double.NegativeInfinity : 0;
        foreach (var partial in partials) total = op == ReductionOp.Max ? Math.Max(total, partial) : total + partial;
        return (float)total;
    }

    /// <inheritdoc/>
    protected override void FillRandom(Span<float> values, Func<long, float> element)
    {
        float* target = Pointer(values);
        ForChunks(values.Length, (start, length) =>
        {
            for (int i = start; i < start + length; i++) target[i] = element(i);
        });
    }
}
