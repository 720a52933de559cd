// The Switch layer on one device, written once: the PyTorch fixtures, finite differences of
// the whole layer with routing held fixed, and the properties the spec promises. One subclass
// per device.
using SwitchNative.Devices;
using SwitchNative.Devices.Routing;
using SwitchNative.IO;
using SwitchNative.Nn;
using SwitchNative.Tensors;
using SwitchNative.Tests.Infrastructure;
using Xunit.Abstractions;

namespace SwitchNative.Tests.Nn;

public abstract partial class SwitchLayerTests : IDisposable
{
    protected SwitchLayerTests(ITestOutputHelper output)
    {
        Output = output;
        Device = CreateDevice();
    }

    protected IDevice Device { get; }

    protected ITestOutputHelper Output { get; }

    protected abstract IDevice CreateDevice();

    /// <summary>Coordinates per tensor in the finite-difference checks (fewer on slow emulated devices).</summary>
    protected virtual int GradientSamples => 30;

    public void Dispose()
    {
        Device.Dispose();
        GC.SuppressFinalize(this);
    }

    public static IEnumerable<object[]> Fixtures() => FixturePaths.SwitchLayerCases.Concat(FixturePaths.GeneratedCases).Select(name => new object[] { name });

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Matches_the_pytorch_fixture(string name)
    {
        var state = SafetensorsFile.Read(FixturePaths.StatePath(name));
        var comparisons = SwitchLayerStateCheck.Run(Device, state);
        foreach (var comparison in comparisons)
            Output.WriteLine($"{comparison.Name,-20} max abs {comparison.MaxAbsoluteError:E2} max rel {comparison.MaxRelativeError:E2} {(comparison.Passed ? "OK" : "FAIL")}");
        // Every named tensor of the spec's fixture format is compared, routing integers exactly.
        Assert.Equal(16, comparisons.Count);
        Assert.All(comparisons, comparison => Assert.True(comparison.Passed, $"{name}: {comparison}"));
    }

    /// <summary>A layer with random weights (σ = 0.3) on <paramref name="tokens"/> random tokens.</summary>
    protected sealed class Harness : IDisposable
    {
        public Harness(IDevice device, SwitchLayerSettings settings, int tokens, int seed = 1)
        {
            Device = device;
            Settings = settings;
            Tokens = tokens;
            Parameters = new TensorSet(device, SwitchLayerWeights.Layout(settings));
            Gradients = Parameters.CreateLike(device);
            device.FillNormal((ulong)seed, 100, 0f, 0.3f, Parameters.Flat);
            XValues = TestData.Uniform(tokens * settings.ModelDim, seed);
            X = device.FromArray<float>(XValues, [tokens, settings.ModelDim]);
            Y = device.Allocate([tokens, settings.ModelDim]);
            Dx = device.Allocate([tokens, settings.ModelDim]);
            Layer = new SwitchLayer(device, settings);
        }

        public IDevice Device { get; }
        public SwitchLayerSettings Settings { get; }
        public int Tokens { get; }
        public TensorSet Parameters { get; }
        public TensorSet Gradients { get; }
        public float[] XValues { get; }
        public Tensor X { get; }
        public Tensor Y { get; }
        public Tensor Dx { get; }
        public SwitchLayer Layer { get; }
        public SwitchLayerWeights Weights => SwitchLayerWeights.From(Parameters);
        public SwitchLayerWeights GradientWeights => SwitchLayerWeights.From(Gradients);

        public SwitchLayerResult Forward(SwitchPass pass) => Layer.Forward(X, Weights, pass, Y);

        public float[] YValues => Device.ToArray(Y);

        public int[] Experts => Device.ToArray<int>(Layer.LastRouting!.ExpertIndex);

        public int[] Kept => Device.ToArray<int>(Layer.LastRouting!.Kept);

        public void Dispose()
        {
            foreach (var tensor in new[] { X, Y, Dx }) tensor.Dispose();
            Layer.Dispose();
            Parameters.Dispose();
            Gradients.Dispose();
        }
    }

    public static IEnumerable<object[]> GradientCases() => new[]
    {
        "top1 relu drops", "top2 renormalized gelu z-loss", "top2 raw gates", "dropless", "expert choice", "groups of 5", "jitter and dropout",
    }.Select(name => new object[] { name });

    private static SwitchLayerSettings GradientSettings(string name)
    {
        var baseline = new SwitchLayerSettings { ModelDim = 6, FfnDim = 10, ExpertCount = 4, CapacityFactor = 1.0, MinCapacity = 1, AuxLossCoefficient = 0.05 };
        return name switch
        {
            "top1 relu drops" => baseline with { ZLossCoefficient = 0.01 },
            "top2 renormalized gelu z-loss" => baseline with { TopK = 2, Activation = ExpertActivation.Gelu, ZLossCoefficient = 0.01 },
            "top2 raw gates" => baseline with { TopK = 2, Renormalize = false },
            "dropless" => baseline with { CapacityFactor = 0 },
            "expert choice" => baseline with { Mode = RoutingMode.ExpertChoice, CapacityFactor = 1.5, ZLossCoefficient = 0.01 },
            "groups of 5" => baseline with { GroupSize = 5, ZLossCoefficient = 0.01 },
            "jitter and dropout" => baseline with { JitterEpsilon = 0.1f, ExpertDropout = 0.3f },
            _ => throw new ArgumentException(name),
        };
    }

    [Theory]
    [MemberData(nameof(GradientCases))]
    public void Backward_matches_finite_differences_with_routing_held_fixed(string name)
    {
        var settings = GradientSettings(name);
        using var harness = new Harness(Device, settings, tokens: 12, seed: 3);
        var pass = new SwitchPass(Training: true, Seed: 9, Step: 2);
        var upstream = TestData.Uniform(12 * settings.ModelDim, seed: 4);
        using var dy = Device.FromArray<float>(upstream, [12, settings.ModelDim]);
        harness.Forward(pass);
        var experts = harness.Experts;
        var kept = harness.Kept;
        harness.Layer.Backward(dy, harness.Weights, harness.GradientWeights, harness.Dx);

        // L = Σ y·dy + aux + z; f (first-choice counts) is piecewise constant, so with routing
        // unchanged the finite difference sees exactly the gradient the backward computes.
        double Loss()
        {
            var result = harness.Forward(pass);
            Assert.Equal(experts, harness.Experts);
            Assert.Equal(kept, harness.Kept);
            return GradientCheck.WeightedSum(harness.YValues, upstream) + result.AuxLoss + result.ZLoss;
        }
        GradientCheck.Check(harness.XValues, Loss, () => Device.CopyFromHost<float>(harness.XValues, harness.X), Device.ToArray(harness.Dx), $"{name}: dx", samples: GradientSamples);
        foreach (var (parameter, tensor) in harness.Parameters.Entries)
        {
            var values = Device.ToArray(tensor);
            GradientCheck.Check(values, Loss, () => Device.CopyFromHost<float>(values, tensor), Device.ToArray(harness.Gradients[parameter]), $"{name}: d{parameter}", samples: GradientSamples);
        }
    }
}
