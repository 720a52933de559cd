// A decorator that times every op of another device: wall time and call count per op name.
// On a synchronous device (reference, cpu) the times are exact; on an asynchronous one it
// synchronizes after each op, which serializes work, so use it only to see where time goes.
using System.Diagnostics;
using SwitchNative.Devices.Routing;
using SwitchNative.Tensors;

namespace SwitchNative.Devices.Profiling;

/// <summary>Per-op time and calls of one profiled region.</summary>
public readonly record struct OpTiming(string Op, TimeSpan Time, int Calls);

/// <summary>Forwards every op to an inner device and records how long each took.</summary>
public sealed class ProfilingDevice(IDevice inner) : IDevice
{
    private readonly Dictionary<string, (TimeSpan Time, int Calls)> _timings = new(StringComparer.Ordinal);

    /// <summary>The ops that are matrix products (for "time outside the GEMMs").</summary>
    public static readonly IReadOnlySet<string> MatrixProducts = new HashSet<string> { nameof(Gemm), nameof(GroupedGemm), nameof(GroupedGemmWeightGradient) };

    /// <summary>The device doing the work.</summary>
    public IDevice Inner { get; } = inner;

    /// <summary>Accumulated timings, largest first.</summary>
    public IReadOnlyList<OpTiming> Timings => _timings.Select(pair => new OpTiming(pair.Key, pair.Value.Time, pair.Value.Calls)).OrderByDescending(timing => timing.Time).ToList();

    /// <summary>Forgets all timings.</summary>
    public void Reset() => _timings.Clear();

    private void Time(string op, Action action)
    {
        var stopwatch = Stopwatch.StartNew();
        action();
        Inner.Synchronize();
        var elapsed = stopwatch.Elapsed;
        var (time, calls) = _timings.GetValueOrDefault(op);
        _timings[op] = (time + elapsed, calls + 1);
    }

    private T Time<T>(string op, Func<T> function)
    {
        T result = default!;
        Time(op, () => { result = function(); });
        return result;
    }

    /// <inheritdoc/>
    public string Name => Inner.Name;
    /// <inheritdoc/>
    public string Description => Inner.Description + " (profiled)";
    /// <inheritdoc/>
    public Tensor Allocate(Shape shape, DType dtype = DType.F32) => Inner.Allocate(shape, dtype);
    /// <inheritdoc/>
    public void CopyFromHost<T>(ReadOnlySpan<T> source, Tensor destination) where T : unmanaged => Inner.CopyFromHost(source, destination);
    /// <inheritdoc/>
    public void CopyToHost<T>(Tensor source, Span<T> destination) where T : unmanaged => Inner.CopyToHost(source, destination);
    /// <inheritdoc/>
    public void Synchronize() => Inner.Synchronize();
    /// <inheritdoc/>
    public void Dispose() => Inner.Dispose();
    /// <inheritdoc/>
    public void Copy(Tensor source, Tensor destination) => Time(nameof(Copy), () => Inner.Copy(source, destination));
    /// <inheritdoc/>
    public void Fill(float value, Tensor destination) => Time(nameof(Fill), () => Inner.Fill(value, destination));
    /// <inheritdoc/>
    public void Gemm(Tensor a, bool transposeA, Tensor b, bool transposeB, float alpha, float beta, Tensor c) => Time(nameof(Gemm), () => Inner.Gemm(a, transposeA, b, transposeB, alpha, beta, c));
    /// <inheritdoc/>
    public void Add(Tensor a, Tensor b, Tensor destination) => Time(nameof(Add), () => Inner.Add(a, b, destination));
    /// <inheritdoc/>
    public void Multiply(Tensor a, Tensor b, Tensor destination) => Time(nameof(Multiply), () => Inner.Multiply(a, b, destination));
    /// <inheritdoc/>
    public void Scale(Tensor x, float alpha, Tensor destination) => Time(nameof(Scale), () => Inner.Scale(x, alpha, destination));
    /// <inheritdoc/>
    public void Axpy(Tensor x, float alpha, Tensor y) => Time(nameof(Axpy), () => Inner.Axpy(x, alpha, y));
    /// <inheritdoc/>
    public void Relu(Tensor x, Tensor y) => Time(nameof(Relu), () => Inner.Relu(x, y));
    /// <inheritdoc/>
    public void ReluBackward(Tensor x, Tensor dy, Tensor dx) => Time(nameof(ReluBackward), () => Inner.ReluBackward(x, dy, dx));
    /// <inheritdoc/>
    public void Gelu(Tensor x, Tensor y) => Time(nameof(Gelu), () => Inner.Gelu(x, y));
    /// <inheritdoc/>
    public void GeluBackward(Tensor x, Tensor dy, Tensor dx) => Time(nameof(GeluBackward), () => Inner.GeluBackward(x, dy, dx));
    /// <inheritdoc/>
    public void Softmax(Tensor x, Tensor y) => Time(nameof(Softmax), () => Inner.Softmax(x, y));
    /// <inheritdoc/>
    public void SoftmaxBackward(Tensor y, Tensor dy, Tensor dx) => Time(nameof(SoftmaxBackward), () => Inner.SoftmaxBackward(y, dy, dx));
    /// <inheritdoc/>
    public void RmsNorm(Tensor x, Tensor weight, float epsilon, Tensor y, Tensor reciprocalRms) => Time(nameof(RmsNorm), () => Inner.RmsNorm(x, weight, epsilon, y, reciprocalRms));
    /// <inheritdoc/>
    public void RmsNormBackward(Tensor x, Tensor weight, Tensor reciprocalRms, Tensor dy, Tensor dx, Tensor dWeight) => Time(nameof(RmsNormBackward), () => Inner.RmsNormBackward(x, weight, reciprocalRms, dy, dx, dWeight));
    /// <inheritdoc/>
    public void LayerNorm(Tensor x, Tensor weight, Tensor bias, float epsilon, Tensor y, Tensor mean, Tensor reciprocalStd) => Time(nameof(LayerNorm), () => Inner.LayerNorm(x, weight, bias, epsilon, y, mean, reciprocalStd));
    /// <inheritdoc/>
    public void LayerNormBackward(Tensor x, Tensor weight, Tensor mean, Tensor reciprocalStd, Tensor dy, Tensor dx, Tensor dWeight, Tensor dBias) => Time(nameof(LayerNormBackward), () => Inner.LayerNormBackward(x, weight, mean, reciprocalStd, dy, dx, dWeight, dBias));
    /// <inheritdoc/>
    public void Embedding(Tensor table, Tensor ids, Tensor y) => Time(nameof(Embedding), () => Inner.Embedding(table, ids, y));
    /// <inheritdoc/>
    public void EmbeddingBackward(Tensor ids, Tensor dy, Tensor dTable) => Time(nameof(EmbeddingBackward), () => Inner.EmbeddingBackward(ids, dy, dTable));
    /// <inheritdoc/>
    public void SoftmaxCrossEntropy(Tensor logits, Tensor targets, int ignoreIndex, Tensor probabilities, Tensor losses) => Time(nameof(SoftmaxCrossEntropy), () => Inner.SoftmaxCrossEntropy(logits, targets, ignoreIndex, probabilities, losses));
    /// <inheritdoc/>
    public void SoftmaxCrossEntropyBackward(Tensor probabilities, Tensor targets, int ignoreIndex, float scale, Tensor dLogits) => Time(nameof(SoftmaxCrossEntropyBackward), () => Inner.SoftmaxCrossEntropyBackward(probabilities, targets, ignoreIndex, scale, dLogits));
    /// <inheritdoc/>
    public void CausalAttention(Tensor qkv, int headCount, Tensor attention, Tensor output) => Time(nameof(CausalAttention), () => Inner.CausalAttention(qkv, headCount, attention, output));
    /// <inheritdoc/>
    public void CausalAttentionBackward(Tensor qkv, Tensor attention, Tensor dOutput, int headCount, Tensor dQkv) => Time(nameof(CausalAttentionBackward), () => Inner.CausalAttentionBackward(qkv, attention, dOutput, headCount, dQkv));
    /// <inheritdoc/>
    public void AttentionDecode(Tensor query, Tensor keys, Tensor values, int headCount, Tensor output) => Time(nameof(AttentionDecode), () => Inner.AttentionDecode(query, keys, values, headCount, output));
    /// <inheritdoc/>
    public void AdamW(Tensor gradients, AdamWSettings settings, int step, Tensor parameters, Tensor firstMoment, Tensor secondMoment) => Time(nameof(AdamW), () => Inner.AdamW(gradients, settings, step, parameters, firstMoment, secondMoment));
    /// <inheritdoc/>
    public void Sum(Tensor x, Tensor destination) => Time(nameof(Sum), () => Inner.Sum(x, destination));
    /// <inheritdoc/>
    public void SumOfSquares(Tensor x, Tensor destination) => Time(nameof(SumOfSquares), () => Inner.SumOfSquares(x, destination));
    /// <inheritdoc/>
    public void Max(Tensor x, Tensor destination) => Time(nameof(Max), () => Inner.Max(x, destination));
    /// <inheritdoc/>
    public void FillUniform(ulong seed, uint streamId, float low, float high, Tensor destination) => Time(nameof(FillUniform), () => Inner.FillUniform(seed, streamId, low, high, destination));
    /// <inheritdoc/>
    public void FillNormal(ulong seed, uint streamId, float mean, float std, Tensor destination) => Time(nameof(FillNormal), () => Inner.FillNormal(seed, streamId, mean, std, destination));
    /// <inheritdoc/>
    public void FillTruncatedNormal(ulong seed, uint streamId, float mean, float std, Tensor destination) => Time(nameof(FillTruncatedNormal), () => Inner.FillTruncatedNormal(seed, streamId, mean, std, destination));
    /// <inheritdoc/>
    public RoutingStatistics Route(Tensor logits, RoutingRequest request, RoutingTensors outputs) => Time(nameof(Route), () => Inner.Route(logits, request, outputs));

    /// <inheritdoc/>
    public void RouterBackward(RoutingTensors routing, Tensor dGates, RoutingRequest request, ReadOnlySpan<float> balanceGradient, float balanceScale, float zScale, Tensor dLogits)
    {
        var gradient = balanceGradient.ToArray();
        Time(nameof(RouterBackward), () => Inner.RouterBackward(routing, dGates, request, gradient, balanceScale, zScale, dLogits));
    }

    /// <inheritdoc/>
    public void Dispatch(Tensor x, Tensor rowToken, Tensor? rowScale, Tensor expertInput) => Time(nameof(Dispatch), () => Inner.Dispatch(x, rowToken, rowScale, expertInput));
    /// <inheritdoc/>
    public void Combine(Tensor expertOutput, Tensor assignmentRow, Tensor? weights, Tensor y) => Time(nameof(Combine), () => Inner.Combine(expertOutput, assignmentRow, weights, y));
    /// <inheritdoc/>
    public void CombineGateGradient(Tensor expertOutput, Tensor assignmentRow, Tensor dy, Tensor dGates) => Time(nameof(CombineGateGradient), () => Inner.CombineGateGradient(expertOutput, assignmentRow, dy, dGates));

    /// <inheritdoc/>
    public void GroupedGemm(Tensor a, Tensor b, bool transposeB, float alpha, float beta, Tensor c, ReadOnlySpan<int> rowOffsets)
    {
        var offsets = rowOffsets.ToArray();
        Time(nameof(GroupedGemm), () => Inner.GroupedGemm(a, b, transposeB, alpha, beta, c, offsets));
    }

    /// <inheritdoc/>
    public void GroupedGemmWeightGradient(Tensor a, Tensor b, float alpha, float beta, Tensor c, ReadOnlySpan<int> rowOffsets)
    {
        var offsets = rowOffsets.ToArray();
        Time(nameof(GroupedGemmWeightGradient), () => Inner.GroupedGemmWeightGradient(a, b, alpha, beta, c, offsets));
    }

    /// <inheritdoc/>
    public void DropoutMask(ulong seed, uint streamId, float probability, Tensor mask) => Time(nameof(DropoutMask), () => Inner.DropoutMask(seed, streamId, probability, mask));
}
