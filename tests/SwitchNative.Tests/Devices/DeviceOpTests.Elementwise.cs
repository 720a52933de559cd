// Element-wise ops at every length 0..256 (every vector tail of every width) against the reference.
using SwitchNative.Devices;
using SwitchNative.Tensors;
using SwitchNative.Tests.Infrastructure;

namespace SwitchNative.Tests.Devices;

public abstract partial class DeviceOpTests
{
    private const int LongestElementwiseLength = 256;

    /// <summary>Runs a unary op y = f(x) for lengths 0..256 on both devices.</summary>
    private void CompareUnary(Action<IDevice, Tensor, Tensor> op, double absolute, double relative, string what, float scale = 1f)
    {
        for (int length = 0; length <= LongestElementwiseLength; length++)
        {
            var x = TestData.Uniform(length, seed: length, low: -4f * scale, high: 4f * scale);
            Compare(device =>
            {
                using var input = device.FromArray<float>(x, [length]);
                using var output = device.Allocate([length]);
                op(device, input, output);
                return device.ToArray(output);
            }, absolute, relative, $"{what} length {length}");
        }
    }

    /// <summary>Runs a binary op z = f(x, y) for lengths 0..256 on both devices.</summary>
    private void CompareBinary(Action<IDevice, Tensor, Tensor, Tensor> op, double absolute, double relative, string what)
    {
        for (int length = 0; length <= LongestElementwiseLength; length++)
        {
            var x = TestData.Uniform(length, seed: length, low: -4f, high: 4f);
            var y = TestData.Uniform(length, seed: 1000 + length, low: -4f, high: 4f);
            Compare(device =>
            {
                using var first = device.FromArray<float>(x, [length]);
                using var second = device.FromArray<float>(y, [length]);
                using var output = device.FromArray<float>(y, [length]);
                op(device, first, second, output);
                return device.ToArray(output);
            }, absolute, relative, $"{what} length {length}");
        }
    }

    // Add, multiply, scale and axpy are single IEEE operations (or one FMA): within 1 ulp.
    [Fact] public void Add_matches_reference() => CompareBinary((d, a, b, c) => d.Add(a, b, c), 0, 1.2e-7, "add");

    [Fact] public void Multiply_matches_reference() => CompareBinary((d, a, b, c) => d.Multiply(a, b, c), 0, 1.2e-7, "multiply");

    [Fact] public void Scale_matches_reference() => CompareUnary((d, x, y) => d.Scale(x, -0.3f, y), 0, 1.2e-7, "scale");

    // y += αx may round once (FMA) or twice: 1 ulp of the larger operand.
    [Fact] public void Axpy_matches_reference() => CompareBinary((d, x, _, y) => d.Axpy(x, 0.7f, y), 1e-6, 2.4e-7, "axpy");

    [Fact] public void Relu_matches_reference() => CompareUnary((d, x, y) => d.Relu(x, y), 0, 0, "relu");

    [Fact] public void Relu_backward_matches_reference() => CompareBinary((d, x, dy, dx) => d.ReluBackward(x, dy, dx), 0, 0, "relu backward");

    // GELU uses a vector exp (a few ulp) and float arithmetic: 2e-6 absolute, 1e-5 relative.
    [Fact] public void Gelu_matches_reference() => CompareUnary((d, x, y) => d.Gelu(x, y), 2e-6, 1e-5, "gelu");

    [Fact] public void Gelu_handles_extreme_inputs() => CompareUnary((d, x, y) => d.Gelu(x, y), 2e-6, 1e-5, "gelu extreme", scale: 30f);

    [Fact] public void Gelu_backward_matches_reference() => CompareBinary((d, x, dy, dx) => d.GeluBackward(x, dy, dx), 1e-5, 1e-5, "gelu backward");

    [Fact]
    public void Reductions_match_reference()
    {
        foreach (int length in Enumerable.Range(0, LongestElementwiseLength + 1).Append(100_003))
        {
            var x = TestData.Uniform(length, seed: length);
            foreach (var (name, op) in new (string, Action<IDevice, Tensor, Tensor>)[] { ("sum", (d, a, r) => d.Sum(a, r)), ("sum of squares", (d, a, r) => d.SumOfSquares(a, r)), ("max", (d, a, r) => d.Max(a, r)) })
            {
                // Float partial sums vs a double sum: |error| ≤ n·u·max|x| bounds any order; we allow 1e-6·n.
                Compare(device =>
                {
                    using var input = device.FromArray<float>(x, [length]);
                    using var result = device.Allocate([1]);
                    op(device, input, result);
                    return device.ToArray(result);
                }, 1e-6 * Math.Max(length, 1), 1e-6, $"{name} length {length}");
            }
        }
    }

    [Fact]
    public void Max_of_empty_is_negative_infinity()
    {
        using var empty = Device.Allocate([0]);
        using var result = Device.Allocate([1]);
        Device.Max(empty, result);
        Assert.Equal(float.NegativeInfinity, Device.ToScalar(result));
    }
}
