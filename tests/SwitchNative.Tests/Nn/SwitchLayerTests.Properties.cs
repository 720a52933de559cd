// Properties of the Switch layer that hold exactly, whatever the weights.
using SwitchNative.Devices;
using SwitchNative.Devices.Routing;
using SwitchNative.Nn;
using SwitchNative.Tensors;
using SwitchNative.Tests.Infrastructure;

namespace SwitchNative.Tests.Nn;

public abstract partial class SwitchLayerTests
{
    [Fact]
    public void One_expert_with_room_for_all_tokens_is_the_dense_ffn_forward_and_backward()
    {
        var settings = new SwitchLayerSettings { ModelDim = 8, FfnDim = 12, ExpertCount = 1, CapacityFactor = 2.0, MinCapacity = 0 };
        using var harness = new Harness(Device, settings, tokens: 10);
        var upstream = TestData.Uniform(10 * 8, seed: 5);
        using var dy = Device.FromArray<float>(upstream, [10, 8]);
        var result = harness.Forward(new SwitchPass(Training: true));
        harness.Layer.Backward(dy, harness.Weights, harness.GradientWeights, harness.Dx);
        Assert.Equal(0, result.DroppedCount);

        // Dense FFN: y = relu(x·W1ᵀ)·W2ᵀ, and its backward, with plain device GEMMs.
        var w1 = harness.Parameters["experts.w1"].Reshape(12, 8);
        var w2 = harness.Parameters["experts.w2"].Reshape(8, 12);
        using var a = Device.Allocate([10, 12]);
        using var h = Device.Allocate([10, 12]);
        using var y = Device.Allocate([10, 8]);
        Device.Gemm(harness.X, false, w1, true, 1, 0, a);
        Device.Relu(a, h);
        Device.Gemm(h, false, w2, true, 1, 0, y);
        using var dh = Device.Allocate([10, 12]);
        using var dx = Device.Allocate([10, 8]);
        using var dW1 = Device.Allocate([12, 8]);
        using var dW2 = Device.Allocate([8, 12]);
        Device.Gemm(dy, true, h, false, 1, 0, dW2);
        Device.Gemm(dy, false, w2, false, 1, 0, dh);
        Device.ReluBackward(a, dh, dh);
        Device.Gemm(dh, true, harness.X, false, 1, 0, dW1);
        Device.Gemm(dh, false, w1, false, 1, 0, dx);

        // The gate is softmax over one expert = 1 exactly, so the sums agree to GEMM rounding.
        Close.All(Device.ToArray(y), harness.YValues, 1e-6, 1e-6, "y");
        Close.All(Device.ToArray(dx), Device.ToArray(harness.Dx), 1e-6, 1e-6, "dx");
        Close.All(Device.ToArray(dW1), Device.ToArray(harness.Gradients["experts.w1"]), 1e-6, 1e-6, "dW1");
        Close.All(Device.ToArray(dW2), Device.ToArray(harness.Gradients["experts.w2"]), 1e-6, 1e-6, "dW2");
        // The router's only task gradient goes through a 1-way softmax, whose Jacobian is 0.
        Assert.All(Device.ToArray(harness.Gradients["router.weight"]), value => Assert.Equal(0f, value));
    }

    [Fact]
    public void Uniform_router_gives_aux_loss_exactly_alpha()
    {
        var settings = new SwitchLayerSettings { ModelDim = 4, FfnDim = 4, ExpertCount = 8, AuxLossCoefficient = 0.01 };
        using var harness = new Harness(Device, settings, tokens: 16);
        Device.Fill(0f, harness.Parameters["router.weight"]);
        var result = harness.Forward(new SwitchPass(Training: true));
        // p = 1/8 everywhere; every tie goes to expert 0: E·Σ f_i P_i = 8·(1·1/8) = 1.
        Assert.Equal(1.0, result.Routing.BalanceSum);
        Assert.Equal(0.01, result.AuxLoss);
        Assert.All(harness.Experts, expert => Assert.Equal(0, expert));
    }

    [Fact]
    public void Dropped_tokens_get_exactly_zero_output()
    {
        var settings = new SwitchLayerSettings { ModelDim = 6, FfnDim = 8, ExpertCount = 4, CapacityFactor = 0.5, MinCapacity = 1 };
        using var harness = new Harness(Device, settings, tokens: 24);
        var result = harness.Forward(new SwitchPass(Training: true));
        Assert.True(result.DroppedCount > 0, "the case must drop tokens");
        var y = harness.YValues;
        var kept = harness.Kept;
        for (int t = 0; t < 24; t++)
        {
            var row = y.AsSpan(t * 6, 6).ToArray();
            if (kept[t] == 0) Assert.All(row, value => Assert.Equal(0f, value));
            else Assert.Contains(row, value => value != 0f);
        }
        Assert.Equal(kept.Count(k => k == 0), result.DroppedCount);
    }

    [Fact]
    public void Jitter_never_reaches_the_experts_and_is_off_in_evaluation()
    {
        var plain = new SwitchLayerSettings { ModelDim = 6, FfnDim = 8, ExpertCount = 1, CapacityFactor = 2 };
        var jittered = plain with { JitterEpsilon = 0.5f };
        // One expert: routing cannot change, so any difference would be jitter in the expert input.
        using (var a = new Harness(Device, plain, tokens: 9))
        using (var b = new Harness(Device, jittered, tokens: 9))
        {
            a.Forward(new SwitchPass(Training: true, Seed: 1));
            b.Forward(new SwitchPass(Training: true, Seed: 1));
            Close.Bitwise(a.YValues, b.YValues, "one expert, jitter on vs off");
        }
        // Several experts: jitter moves the router's probabilities in training, never in evaluation.
        var several = plain with { ExpertCount = 4 };
        using var off = new Harness(Device, several, tokens: 9);
        using var on = new Harness(Device, several with { JitterEpsilon = 0.5f }, tokens: 9);
        off.Forward(new SwitchPass(Training: false));
        on.Forward(new SwitchPass(Training: false, Seed: 1));
        Close.Bitwise(off.YValues, on.YValues, "evaluation with jitter configured");
        Close.Bitwise(Device.ToArray(off.Layer.LastRouting!.Probabilities), Device.ToArray(on.Layer.LastRouting!.Probabilities), "evaluation probabilities");
        on.Forward(new SwitchPass(Training: true, Seed: 1));
        Assert.NotEqual(Device.ToArray(off.Layer.LastRouting!.Probabilities), Device.ToArray(on.Layer.LastRouting!.Probabilities));
    }

    [Fact]
    public void Top1_gates_are_never_renormalized()
    {
        var settings = new SwitchLayerSettings { ModelDim = 6, FfnDim = 8, ExpertCount = 4, Renormalize = true };
        using var harness = new Harness(Device, settings, tokens: 10);
        harness.Forward(new SwitchPass(Training: true));
        var gates = Device.ToArray(harness.Layer.LastRouting!.Gates);
        var probabilities = Device.ToArray(harness.Layer.LastRouting!.Probabilities);
        var experts = harness.Experts;
        for (int t = 0; t < 10; t++)
        {
            Assert.Equal(probabilities[t * 4 + experts[t]], gates[t]);
            Assert.True(gates[t] < 1f);
        }
    }

    public static IEnumerable<object[]> CapacityCases() => new[]
    {
        "tokens fewer than experts", "every token to one expert", "tiny capacity factor", "one expert", "k equals E",
    }.Select(name => new object[] { name });

    [Theory]
    [MemberData(nameof(CapacityCases))]
    public void Capacity_edge_cases_route_as_specified(string name)
    {
        var settings = new SwitchLayerSettings { ModelDim = 4, FfnDim = 6, ExpertCount = 8, CapacityFactor = 1.0, MinCapacity = 2 };
        int tokens = 20;
        switch (name)
        {
            case "tokens fewer than experts": tokens = 3; break;
            case "tiny capacity factor": settings = settings with { CapacityFactor = 0.01 }; break;
            case "one expert": settings = settings with { ExpertCount = 1, MinCapacity = 0 }; break;
            case "k equals E": settings = settings with { ExpertCount = 4, TopK = 4, CapacityFactor = 1.0, MinCapacity = 0 }; break;
        }
        using var harness = new Harness(Device, settings, tokens);
        if (name == "every token to one expert")
        {
            // A router that only sees expert 5: its logit is 10·Σx + 50 with x ∈ [−1, 1]·4 ⇒ always largest.
            var router = new float[settings.ExpertCount * settings.ModelDim];
            for (int c = 0; c < settings.ModelDim; c++) router[5 * settings.ModelDim + c] = 10f;
            Device.CopyFromHost<float>(router, harness.Parameters["router.weight"]);
            for (int i = 0; i < harness.XValues.Length; i++) harness.XValues[i] = Math.Abs(harness.XValues[i]) + 0.1f;
            Device.CopyFromHost<float>(harness.XValues, harness.X);
        }
        var result = harness.Forward(new SwitchPass(Training: true));
        int capacity = result.Routing.GroupCapacities[0];
        int k = settings.TopK, e = settings.ExpertCount;
        // C = min(T, max(min_capacity, ⌊cf·k·T/E⌋)).
        int expectedCapacity = Math.Min(tokens, Math.Max(settings.MinCapacity, (int)Math.Floor(settings.CapacityFactor * k * tokens / e)));
        Assert.Equal(expectedCapacity, capacity);
        Assert.All(result.TokensPerExpert, count => Assert.InRange(count, 0, capacity));
        Assert.Equal(tokens * k - result.TokensPerExpert.Sum(), result.DroppedCount);
        switch (name)
        {
            case "tokens fewer than experts":
                Assert.Equal(2, capacity);
                break;
            case "every token to one expert":
                Assert.Equal(capacity, result.TokensPerExpert[5]);
                Assert.Equal(tokens - capacity, result.DroppedCount);
                // The first C tokens in order keep their slot.
                Assert.Equal(Enumerable.Repeat(1, capacity).Concat(Enumerable.Repeat(0, tokens - capacity)), harness.Kept);
                break;
            case "tiny capacity factor":
                Assert.Equal(settings.MinCapacity, capacity);
                break;
            case "one expert":
                Assert.Equal(0, result.DroppedCount);
                Assert.Equal(1.0, result.Routing.BalanceSum, 12);
                break;
            case "k equals E":
                Assert.All(Enumerable.Range(0, tokens), t => Assert.Equal(new[] { 0, 1, 2, 3 }, harness.Experts.Skip(t * 4).Take(4).Order()));
                Assert.Equal(0, result.DroppedCount);
                break;
        }
    }

    [Fact]
    public void Expert_choice_gives_every_expert_exactly_its_capacity()
    {
        var settings = new SwitchLayerSettings { ModelDim = 4, FfnDim = 6, ExpertCount = 4, Mode = RoutingMode.ExpertChoice, CapacityFactor = 1.0, MinCapacity = 0 };
        using var harness = new Harness(Device, settings, tokens: 16);
        var result = harness.Forward(new SwitchPass(Training: true));
        Assert.All(result.TokensPerExpert, count => Assert.Equal(4, count));
        Assert.Equal(0.0, result.AuxLoss);
        // Each expert took its 4 most probable tokens.
        var probabilities = Device.ToArray(harness.Layer.LastRouting!.Probabilities);
        var kept = harness.Kept;
        for (int expert = 0; expert < 4; expert++)
        {
            var taken = Enumerable.Range(0, 16).Where(t => kept[t * 4 + expert] == 1).Select(t => probabilities[t * 4 + expert]).ToList();
            var left = Enumerable.Range(0, 16).Where(t => kept[t * 4 + expert] == 0).Select(t => probabilities[t * 4 + expert]).ToList();
            Assert.True(taken.Min() >= left.Max());
        }
    }

    [Fact]
    public void Routing_groups_share_capacity_per_group_and_average_the_aux_loss()
    {
        var settings = new SwitchLayerSettings { ModelDim = 4, FfnDim = 6, ExpertCount = 4, CapacityFactor = 1.0, MinCapacity = 1, GroupSize = 6 };
        using var harness = new Harness(Device, settings, tokens: 16);
        var result = harness.Forward(new SwitchPass(Training: true));
        // Groups of 6, 6, 4 tokens: C = ⌊6/4⌋ = 1, 1, and max(1, ⌊4/4⌋) = 1.
        Assert.Equal(new[] { 1, 1, 1 }, result.Routing.GroupCapacities);
        Assert.All(result.TokensPerExpert, count => Assert.InRange(count, 0, 3));
    }

    [Fact]
    public void Same_seed_gives_identical_bits_with_jitter_and_dropout()
    {
        var settings = new SwitchLayerSettings { ModelDim = 6, FfnDim = 8, ExpertCount = 4, JitterEpsilon = 0.2f, ExpertDropout = 0.2f };
        using var first = new Harness(Device, settings, tokens: 12);
        using var second = new Harness(Device, settings, tokens: 12);
        first.Forward(new SwitchPass(Training: true, Seed: 77, Step: 3));
        second.Forward(new SwitchPass(Training: true, Seed: 77, Step: 3));
        Close.Bitwise(first.YValues, second.YValues, "same seed");
        second.Forward(new SwitchPass(Training: true, Seed: 77, Step: 4));
        Assert.NotEqual(first.YValues, second.YValues);
    }
}
