// Row-wise ops (softmax, norms, cross-entropy) and attention against the reference, on rows
// off every vector width, including long rows and extreme logits.
using SwitchNative.Devices;
using SwitchNative.Tensors;
using SwitchNative.Tests.Infrastructure;

namespace SwitchNative.Tests.Devices;

public abstract partial class DeviceOpTests
{
    public static readonly (int Rows, int Columns)[] RowShapes = [(1, 1), (3, 7), (5, 16), (2, 17), (4, 33), (7, 100), (3, 257), (2, 1000), (70, 64)];

    public static IEnumerable<object[]> RowCases() => RowShapes.Select(shape => new object[] { shape.Rows, shape.Columns });

    [Theory]
    [MemberData(nameof(RowCases))]
    public void Softmax_forward_and_backward_match_reference(int rows, int columns)
    {
        // Scale 40 puts logits far beyond exp's float range unless the max is subtracted.
        var x = TestData.Uniform(rows * columns, seed: columns, low: -40f, high: 40f);
        var dy = TestData.Uniform(rows * columns, seed: columns + 1);
        Compare(device =>
        {
            using var input = device.FromArray<float>(x, [rows, columns]);
            using var output = device.Allocate([rows, columns]);
            device.Softmax(input, output);
            return device.ToArray(output);
        }, 1e-7, 1e-5, "softmax");
        var y = Oracle.ToArray(SoftmaxOn(Oracle, x, rows, columns));
        Compare(device =>
        {
            using var probabilities = device.FromArray<float>(y, [rows, columns]);
            using var upstream = device.FromArray<float>(dy, [rows, columns]);
            using var gradient = device.Allocate([rows, columns]);
            device.SoftmaxBackward(probabilities, upstream, gradient);
            return device.ToArray(gradient);
        }, 1e-6, 1e-5, "softmax backward");
    }

    private static Tensor SoftmaxOn(IDevice device, float[] x, int rows, int columns)
    {
        using var input = device.FromArray<float>(x, [rows, columns]);
        var output = device.Allocate([rows, columns]);
        device.Softmax(input, output);
        return output;
    }

    [Theory]
    [MemberData(nameof(RowCases))]
    public void RmsNorm_forward_and_backward_match_reference(int rows, int columns)
    {
        var x = TestData.Uniform(rows * columns, seed: columns, low: -3f, high: 3f);
        var weight = TestData.Uniform(columns, seed: 2, low: 0.5f, high: 1.5f);
        var dy = TestData.Uniform(rows * columns, seed: 3);
        var initialDWeight = TestData.Uniform(columns, seed: 4);
        // Outputs concatenated: y, ρ, dx, dWeight (which accumulates onto its initial value).
        Compare(device =>
        {
            using var input = device.FromArray<float>(x, [rows, columns]);
            using var scale = device.FromArray<float>(weight, [columns]);
            using var output = device.Allocate([rows, columns]);
            using var rho = device.Allocate([rows]);
            device.RmsNorm(input, scale, 1e-5f, output, rho);
            using var upstream = device.FromArray<float>(dy, [rows, columns]);
            using var dx = device.Allocate([rows, columns]);
            using var dWeight = device.FromArray<float>(initialDWeight, [columns]);
            device.RmsNormBackward(input, scale, rho, upstream, dx, dWeight);
            return [.. device.ToArray(output), .. device.ToArray(rho), .. device.ToArray(dx), .. device.ToArray(dWeight)];
        }, 2e-5, 2e-5, "rmsnorm");
    }

    [Theory]
    [MemberData(nameof(RowCases))]
    public void LayerNorm_forward_and_backward_match_reference(int rows, int columns)
    {
        var x = TestData.Uniform(rows * columns, seed: columns, low: -3f, high: 3f);
        var weight = TestData.Uniform(columns, seed: 2, low: 0.5f, high: 1.5f);
        var bias = TestData.Uniform(columns, seed: 5);
        var dy = TestData.Uniform(rows * columns, seed: 3);
        Compare(device =>
        {
            using var input = device.FromArray<float>(x, [rows, columns]);
            using var scale = device.FromArray<float>(weight, [columns]);
            using var shift = device.FromArray<float>(bias, [columns]);
            using var output = device.Allocate([rows, columns]);
            using var mean = device.Allocate([rows]);
            using var inverseStd = device.Allocate([rows]);
            device.LayerNorm(input, scale, shift, 1e-5f, output, mean, inverseStd);
            using var upstream = device.FromArray<float>(dy, [rows, columns]);
            using var dx = device.Allocate([rows, columns]);
            using var dWeight = device.Allocate([columns]);
            using var dBias = device.Allocate([columns]);
            device.LayerNormBackward(input, scale, mean, inverseStd, upstream, dx, dWeight, dBias);
            return [.. device.ToArray(output), .. device.ToArray(mean), .. device.ToArray(inverseStd), .. device.ToArray(dx), .. device.ToArray(dWeight), .. device.ToArray(dBias)];
        }, 5e-5, 5e-5, "layernorm");
    }

    [Theory]
    [MemberData(nameof(RowCases))]
    public void Softmax_cross_entropy_matches_reference(int rows, int columns)
    {
        var logits = TestData.Uniform(rows * columns, seed: columns, low: -20f, high: 20f);
        var targets = TestData.Integers(rows, seed: 7, bound: columns);
        targets[0] = -100; // ignored row
        Compare(device =>
        {
            using var input = device.FromArray<float>(logits, [rows, columns]);
            using var labels = device.FromArray<int>(targets, [rows]);
            using var probabilities = device.Allocate([rows, columns]);
            using var losses = device.Allocate([rows]);
            device.SoftmaxCrossEntropy(input, labels, -100, probabilities, losses);
            var forward = device.ToArray(losses).Concat(device.ToArray(probabilities)).ToArray();
            device.SoftmaxCrossEntropyBackward(probabilities, labels, -100, 0.25f, probabilities);
            return [.. forward, .. device.ToArray(probabilities)];
        }, 1e-5, 1e-5, "softmax cross-entropy");
    }

    [Fact]
    public void Ignored_rows_give_zero_loss_and_zero_gradient()
    {
        using var logits = Device.FromArray<float>(TestData.Uniform(6, seed: 1), [2, 3]);
        using var targets = Device.FromArray<int>(new[] { -1, 2 }, [2]);
        using var probabilities = Device.Allocate([2, 3]);
        using var losses = Device.Allocate([2]);
        Device.SoftmaxCrossEntropy(logits, targets, -1, probabilities, losses);
        Assert.Equal(0f, Device.ToArray(losses)[0]);
        Assert.True(Device.ToArray(losses)[1] > 0f);
        Device.SoftmaxCrossEntropyBackward(probabilities, targets, -1, 1f, probabilities);
        Assert.Equal(new float[3], Device.ToArray(probabilities).Take(3).ToArray());
    }

    public static IEnumerable<object[]> AttentionCases() =>
        new[] { (1, 1, 4, 1), (2, 5, 12, 3), (1, 17, 32, 4), (2, 9, 24, 2), (1, 33, 16, 1) }
            .Select(c => new object[] { c.Item1, c.Item2, c.Item3, c.Item4 });

    [Theory]
    [MemberData(nameof(AttentionCases))]
    public void Causal_attention_forward_and_backward_match_reference(int batch, int sequence, int modelDim, int heads)
    {
        var qkv = TestData.Uniform(batch * sequence * 3 * modelDim, seed: sequence, low: -2f, high: 2f);
        var dOut = TestData.Uniform(batch * sequence * modelDim, seed: 9);
        Compare(device =>
        {
            using var input = device.FromArray<float>(qkv, [batch, sequence, 3 * modelDim]);
            using var attention = device.Allocate([batch, heads, sequence, sequence]);
            using var output = device.Allocate([batch, sequence, modelDim]);
            device.CausalAttention(input, heads, attention, output);
            using var upstream = device.FromArray<float>(dOut, [batch, sequence, modelDim]);
            using var dQkv = device.Allocate([batch, sequence, 3 * modelDim]);
            device.CausalAttentionBackward(input, attention, upstream, heads, dQkv);
            return [.. device.ToArray(output), .. device.ToArray(attention), .. device.ToArray(dQkv)];
        }, 2e-5, 2e-5, "attention");
    }

    [Fact]
    public void Attention_is_causal()
    {
        // Changing token 3 must not change outputs 0..2.
        int sequence = 5, modelDim = 8;
        var qkv = TestData.Uniform(sequence * 3 * modelDim, seed: 1);
        float[] Run(float[] input)
        {
            using var x = Device.FromArray<float>(input, [1, sequence, 3 * modelDim]);
            using var attention = Device.Allocate([1, 2, sequence, sequence]);
            using var output = Device.Allocate([1, sequence, modelDim]);
            Device.CausalAttention(x, 2, attention, output);
            return Device.ToArray(output);
        }
        var before = Run(qkv);
        var changed = (float[])qkv.Clone();
        for (int i = 0; i < 3 * modelDim; i++) changed[3 * 3 * modelDim + i] += 1f;
        var after = Run(changed);
        Close.Bitwise(before.AsSpan(0, 3 * modelDim), after.AsSpan(0, 3 * modelDim), "outputs before the changed token");
        Assert.NotEqual(before[3 * modelDim], after[3 * modelDim]);
    }
}
