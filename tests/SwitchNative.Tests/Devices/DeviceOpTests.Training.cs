// Embedding, AdamW and the random fills against the reference.
using SwitchNative.Devices;
using SwitchNative.Tensors;
using SwitchNative.Tests.Infrastructure;

namespace SwitchNative.Tests.Devices;

public abstract partial class DeviceOpTests
{
    [Theory]
    [InlineData(10, 1, 5)]
    [InlineData(7, 33, 50)]
    [InlineData(100, 300, 257)]
    public void Embedding_forward_and_scatter_add_match_reference(int vocabulary, int width, int tokens)
    {
        var table = TestData.Uniform(vocabulary * width, seed: width);
        var ids = TestData.Integers(tokens, seed: 3, bound: vocabulary);
        ids[tokens - 1] = ids[0]; // a repeated id must sum
        var dy = TestData.Uniform(tokens * width, seed: 4);
        var initialGradient = TestData.Uniform(vocabulary * width, seed: 5);
        Compare(device =>
        {
            using var rows = device.FromArray<float>(table, [vocabulary, width]);
            using var tokenIds = device.FromArray<int>(ids, [tokens]);
            using var output = device.Allocate([tokens, width]);
            device.Embedding(rows, tokenIds, output);
            using var upstream = device.FromArray<float>(dy, [tokens, width]);
            using var dTable = device.FromArray<float>(initialGradient, [vocabulary, width]);
            device.EmbeddingBackward(tokenIds, upstream, dTable);
            return [.. device.ToArray(output), .. device.ToArray(dTable)];
        }, 1e-6, 1e-6, "embedding");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(15)]
    [InlineData(67)]
    [InlineData(100_001)]
    public void AdamW_matches_reference_over_several_steps(int length)
    {
        var parameters = TestData.Uniform(length, seed: 1);
        var settings = new AdamWSettings(LearningRate: 1e-2f, WeightDecay: 0.1f);
        // Float vs double arithmetic over three steps; m̂/√v̂ is O(1), so 1e-6 absolute on θ ~ 1.
        Compare(device =>
        {
            using var theta = device.FromArray<float>(parameters, [length]);
            using var m = device.Allocate([length]);
            using var v = device.Allocate([length]);
            for (int step = 1; step <= 3; step++)
            {
                using var gradients = device.FromArray<float>(TestData.Uniform(length, seed: 10 + step), [length]);
                device.AdamW(gradients, settings, step, theta, m, v);
            }
            return [.. device.ToArray(theta), .. device.ToArray(m), .. device.ToArray(v)];
        }, 2e-6, 2e-6, "adamw");
    }

    [Fact]
    public void AdamW_first_step_moves_each_parameter_by_the_learning_rate()
    {
        // At t = 1, m̂ = g and v̂ = g², so the update is η·sign(g) (ε ≪ |g|) with no decay.
        using var theta = Device.FromArray<float>(new[] { 1f, -2f, 3f }, [3]);
        using var gradients = Device.FromArray<float>(new[] { 0.5f, -3f, 1e-2f }, [3]);
        using var m = Device.Allocate([3]);
        using var v = Device.Allocate([3]);
        Device.AdamW(gradients, new AdamWSettings(LearningRate: 0.1f), 1, theta, m, v);
        Close.All(new[] { 0.9f, -1.9f, 2.9f }, Device.ToArray(theta), 1e-5, 0, "adamw first step");
    }

    [Fact]
    public void Random_fills_give_the_same_bits_as_the_reference()
    {
        foreach (int length in new[] { 0, 1, 3, 4, 5, 17, 1000, 70_001 })
        {
            var (expected, actual) = Both(device =>
            {
                using var uniform = device.Allocate([length]);
                using var normal = device.Allocate([length]);
                using var truncated = device.Allocate([length]);
                device.FillUniform(42, 7, -0.5f, 2f, uniform);
                device.FillNormal(42, 8, 1f, 0.02f, normal);
                device.FillTruncatedNormal(42, 9, 0f, 0.1f, truncated);
                return [.. device.ToArray(uniform), .. device.ToArray(normal), .. device.ToArray(truncated)];
            });
            Close.Bitwise(expected, actual, $"random fills of length {length}");
        }
    }
}
