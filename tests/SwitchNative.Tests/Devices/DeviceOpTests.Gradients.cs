// Every backward against central finite differences of the device's own forward (see
// GradientCheck for the tolerance argument). Inputs with a kink (ReLU) keep away from it.
using SwitchNative.Devices;
using SwitchNative.Tensors;
using SwitchNative.Tests.Infrastructure;

namespace SwitchNative.Tests.Devices;

public abstract partial class DeviceOpTests
{
    [Fact]
    public void Relu_and_gelu_backward_match_finite_differences()
    {
        var x = TestData.AwayFromZero(40, seed: 1);
        var weights = TestData.Uniform(40, seed: 2);
        foreach (var (name, forward, backward) in new (string, Action<Tensor, Tensor>, Action<Tensor, Tensor, Tensor>)[]
                 {
                     ("relu", Device.Relu, Device.ReluBackward),
                     ("gelu", Device.Gelu, Device.GeluBackward),
                 })
        {
            using var input = Device.FromArray<float>(x, [40]);
            using var output = Device.Allocate([40]);
            using var upstream = Device.FromArray<float>(weights, [40]);
            using var gradient = Device.Allocate([40]);
            backward(input, upstream, gradient);
            var analytic = Device.ToArray(gradient);
            GradientCheck.Check(x, () => { forward(input, output); return GradientCheck.WeightedSum(Device.ToArray(output), weights); },
                () => Device.CopyFromHost<float>(x, input), analytic, name);
        }
    }

    [Fact]
    public void Softmax_backward_matches_finite_differences()
    {
        const int rows = 3, columns = 9;
        var x = TestData.Uniform(rows * columns, seed: 1, low: -2f, high: 2f);
        var weights = TestData.Uniform(rows * columns, seed: 2);
        using var input = Device.FromArray<float>(x, [rows, columns]);
        using var output = Device.Allocate([rows, columns]);
        using var upstream = Device.FromArray<float>(weights, [rows, columns]);
        using var gradient = Device.Allocate([rows, columns]);
        Device.Softmax(input, output);
        Device.SoftmaxBackward(output, upstream, gradient);
        GradientCheck.Check(x, () => { Device.Softmax(input, output); return GradientCheck.WeightedSum(Device.ToArray(output), weights); },
            () => Device.CopyFromHost<float>(x, input), Device.ToArray(gradient), "softmax");
    }

    [Fact]
    public void RmsNorm_backward_matches_finite_differences()
    {
        const int rows = 4, columns = 10;
        var x = TestData.Uniform(rows * columns, seed: 1, low: -2f, high: 2f);
        var weight = TestData.Uniform(columns, seed: 3, low: 0.5f, high: 1.5f);
        var weights = TestData.Uniform(rows * columns, seed: 2);
        using var input = Device.FromArray<float>(x, [rows, columns]);
        using var scale = Device.FromArray<float>(weight, [columns]);
        using var output = Device.Allocate([rows, columns]);
        using var rho = Device.Allocate([rows]);
        using var upstream = Device.FromArray<float>(weights, [rows, columns]);
        using var dx = Device.Allocate([rows, columns]);
        using var dWeight = Device.Allocate([columns]);
        Device.RmsNorm(input, scale, 1e-5f, output, rho);
        Device.RmsNormBackward(input, scale, rho, upstream, dx, dWeight);
        double Loss() { Device.RmsNorm(input, scale, 1e-5f, output, rho); return GradientCheck.WeightedSum(Device.ToArray(output), weights); }
        GradientCheck.Check(x, Loss, () => Device.CopyFromHost<float>(x, input), Device.ToArray(dx), "rmsnorm dx");
        GradientCheck.Check(weight, Loss, () => Device.CopyFromHost<float>(weight, scale), Device.ToArray(dWeight), "rmsnorm dWeight");
    }

    [Fact]
    public void LayerNorm_backward_matches_finite_differences()
    {
        const int rows = 4, columns = 10;
        var x = TestData.Uniform(rows * columns, seed: 1, low: -2f, high: 2f);
        var weight = TestData.Uniform(columns, seed: 3, low: 0.5f, high: 1.5f);
        var bias = TestData.Uniform(columns, seed: 4);
        var weights = TestData.Uniform(rows * columns, seed: 2);
        using var input = Device.FromArray<float>(x, [rows, columns]);
        using var scale = Device.FromArray<float>(weight, [columns]);
        using var shift = Device.FromArray<float>(bias, [columns]);
        using var output = Device.Allocate([rows, columns]);
        using var mean = Device.Allocate([rows]);
        using var inverseStd = Device.Allocate([rows]);
        using var upstream = Device.FromArray<float>(weights, [rows, columns]);
        using var dx = Device.Allocate([rows, columns]);
        using var dWeight = Device.Allocate([columns]);
        using var dBias = Device.Allocate([columns]);
        Device.LayerNorm(input, scale, shift, 1e-5f, output, mean, inverseStd);
        Device.LayerNormBackward(input, scale, mean, inverseStd, upstream, dx, dWeight, dBias);
        double Loss() { Device.LayerNorm(input, scale, shift, 1e-5f, output, mean, inverseStd); return GradientCheck.WeightedSum(Device.ToArray(output), weights); }
        GradientCheck.Check(x, Loss, () => Device.CopyFromHost<float>(x, input), Device.ToArray(dx), "layernorm dx");
        GradientCheck.Check(weight, Loss, () => Device.CopyFromHost<float>(weight, scale), Device.ToArray(dWeight), "layernorm dWeight");
        GradientCheck.Check(bias, Loss, () => Device.CopyFromHost<float>(bias, shift), Device.ToArray(dBias), "layernorm dBias");
    }

    [Fact]
    public void Embedding_backward_matches_finite_differences()
    {
        const int vocabulary = 6, width = 5, tokens = 9;
        var table = TestData.Uniform(vocabulary * width, seed: 1);
        var ids = new[] { 0, 2, 2, 5, 1, 0, 2, 3, 5 };
        var weights = TestData.Uniform(tokens * width, seed: 2);
        using var rows = Device.FromArray<float>(table, [vocabulary, width]);
        using var tokenIds = Device.FromArray<int>(ids, [tokens]);
        using var output = Device.Allocate([tokens, width]);
        using var upstream = Device.FromArray<float>(weights, [tokens, width]);
        using var dTable = Device.Allocate([vocabulary, width]);
        Device.EmbeddingBackward(tokenIds, upstream, dTable);
        GradientCheck.Check(table, () => { Device.Embedding(rows, tokenIds, output); return GradientCheck.WeightedSum(Device.ToArray(output), weights); },
            () => Device.CopyFromHost<float>(table, rows), Device.ToArray(dTable), "embedding", samples: 30);
    }

    [Fact]
    public void Cross_entropy_backward_matches_finite_differences()
    {
        const int rows = 4, columns = 7;
        var logits = TestData.Uniform(rows * columns, seed: 1, low: -3f, high: 3f);
        var targets = new[] { 1, 6, -1, 0 };
        using var input = Device.FromArray<float>(logits, [rows, columns]);
        using var labels = Device.FromArray<int>(targets, [rows]);
        using var probabilities = Device.Allocate([rows, columns]);
        using var losses = Device.Allocate([rows]);
        using var dLogits = Device.Allocate([rows, columns]);
        Device.SoftmaxCrossEntropy(input, labels, -1, probabilities, losses);
        // Mean over the three counted rows.
        Device.SoftmaxCrossEntropyBackward(probabilities, labels, -1, 1f / 3f, dLogits);
        var ones = Enumerable.Repeat(1f / 3f, rows).ToArray();
        GradientCheck.Check(logits, () => { Device.SoftmaxCrossEntropy(input, labels, -1, probabilities, losses); return GradientCheck.WeightedSum(Device.ToArray(losses), ones); },
            () => Device.CopyFromHost<float>(logits, input), Device.ToArray(dLogits), "cross-entropy", samples: 28);
    }

    [Fact]
    public void Attention_backward_matches_finite_differences()
    {
        const int batch = 2, sequence = 4, modelDim = 6, heads = 2;
        var qkv = TestData.Uniform(batch * sequence * 3 * modelDim, seed: 1);
        var weights = TestData.Uniform(batch * sequence * modelDim, seed: 2);
        using var input = Device.FromArray<float>(qkv, [batch, sequence, 3 * modelDim]);
        using var attention = Device.Allocate([batch, heads, sequence, sequence]);
        using var output = Device.Allocate([batch, sequence, modelDim]);
        using var upstream = Device.FromArray<float>(weights, [batch, sequence, modelDim]);
        using var dQkv = Device.Allocate([batch, sequence, 3 * modelDim]);
        Device.CausalAttention(input, heads, attention, output);
        Device.CausalAttentionBackward(input, attention, upstream, heads, dQkv);
        GradientCheck.Check(qkv, () => { Device.CausalAttention(input, heads, attention, output); return GradientCheck.WeightedSum(Device.ToArray(output), weights); },
            () => Device.CopyFromHost<float>(qkv, input), Device.ToArray(dQkv), "attention", samples: 60);
    }
}
