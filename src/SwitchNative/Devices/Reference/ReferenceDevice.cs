// The reference device: every op as the plain loop that defines it, summing in double where
// rounding matters. It is slow on purpose; it is the oracle the fast devices are tested
// against and the place to read the math.
using SwitchNative.Devices.Host;

namespace SwitchNative.Devices.Reference;

/// <summary>Plain, single-threaded loops: the textbook and the test oracle.</summary>
public sealed partial class ReferenceDevice : HostDevice
{
    /// <summary>The registry name.</summary>
    public const string DeviceName = "reference";

    /// <inheritdoc/>
    public override string Name => DeviceName;

    /// <inheritdoc/>
    public override string Description => "reference (plain loops, double accumulation, one thread)";

    /// <inheritdoc/>
    protected override void BinaryKernel(BinaryOp op, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> destination)
    {
        for (int i = 0; i < destination.Length; i++)
            destination[i] = op == BinaryOp.Add ? a[i] + b[i] : a[i] * b[i];
    }

    /// <inheritdoc/>
    protected override void ScaleKernel(ReadOnlySpan<float> x, float alpha, Span<float> destination)
    {
        for (int i = 0; i < destination.Length; i++) destination[i] = alpha * x[i];
    }

    /// <inheritdoc/>
    protected override void AxpyKernel(ReadOnlySpan<float> x, float alpha, Span<float> y)
    {
        for (int i = 0; i < y.Length; i++) y[i] += alpha * x[i];
    }

    /// <inheritdoc/>
    protected override void ActivationKernel(ActivationOp op, ReadOnlySpan<float> x, Span<float> y)
    {
        for (int i = 0; i < y.Length; i++)
            y[i] = op == ActivationOp.Relu ? MathF.Max(x[i], 0f) : (float)GeluValue(x[i]);
    }

    /// <inheritdoc/>
    protected override void ActivationBackwardKernel(ActivationOp op, ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx)
    {
        for (int i = 0; i < dx.Length; i++)
            dx[i] = op == ActivationOp.Relu ? (x[i] > 0f ? dy[i] : 0f) : (float)(dy[i] * GeluDerivative(x[i]));
    }

    // √(2/π) and the cubic coefficient of the tanh approximation (Hendrycks and Gimpel, 2016).
    private const double GeluScale = 0.7978845608028654;
    private const double GeluCubic = 0.044715;

    // GELU(x) ≈ ½x(1 + tanh u), u = √(2/π)(x + 0.044715x³).
    private static double GeluValue(double x)
    {
        double u = GeluScale * (x + GeluCubic * x * x * x);
        return 0.5 * x * (1.0 + Math.Tanh(u));
    }

    // d/dx ½x(1 + tanh u) = ½(1 + tanh u) + ½x(1 − tanh²u)·√(2/π)(1 + 3·0.044715x²).
    private static double GeluDerivative(double x)
    {
        double u = GeluScale * (x + GeluCubic * x * x * x);
        double tanh = Math.Tanh(u);
        return 0.5 * (1.0 + tanh) + 0.5 * x * (1.0 - tanh * tanh) * GeluScale * (1.0 + 3.0 * GeluCubic * x * x);
    }

    /// <inheritdoc/>
    protected override void SoftmaxKernel(ReadOnlySpan<float> x, Span<float> y, int columns)
    {
        for (int row = 0; columns > 0 && row < x.Length / columns; row++)
        {
            var input = x.Slice(row * columns, columns);
            var output = y.Slice(row * columns, columns);
            float max = float.NegativeInfinity;
            foreach (var value in input) max = MathF.Max(max, value);
            double sum = 0;
            for (int c = 0; c < columns; c++) sum += Math.Exp((double)input[c] - max);
            for (int c = 0; c < columns; c++) output[c] = (float)(Math.Exp((double)input[c] - max) / sum);
        }
    }

    /// <inheritdoc/>
    protected override void SoftmaxBackwardKernel(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, int columns)
    {
        for (int row = 0; columns > 0 && row < y.Length / columns; row++)
        {
            int start = row * columns;
            double dot = 0;
            for (int c = 0; c < columns; c++) dot += (double)y[start + c] * dy[start + c];
            for (int c = 0; c < columns; c++) dx[start + c] = (float)(y[start + c] * (dy[start + c] - dot));
        }
    }

    /// <inheritdoc/>
    protected override float ReduceKernel(ReductionOp op, ReadOnlySpan<float> x)
    {
        if (op == ReductionOp.Max)
        {
            float max = float.NegativeInfinity;
            foreach (var value in x) max = MathF.Max(max, value);
            return max;
        }
        double sum = 0;
        foreach (var value in x) sum += op == ReductionOp.Sum ? value : (double)value * value;
        return (float)sum;
    }
}
