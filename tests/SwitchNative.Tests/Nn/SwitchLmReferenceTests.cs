// The whole model against PyTorch (as llm.c's test_gpt2): logits, loss, every parameter
// gradient, and a 5-step AdamW loss trajectory of a tiny Switch LM, on each host device.
using SwitchNative.Devices;
using SwitchNative.Devices.Cpu;
using SwitchNative.Devices.Reference;
using SwitchNative.IO;
using SwitchNative.Nn;
using SwitchNative.Tests.Infrastructure;
using SwitchNative.Training;
using Xunit.Abstractions;

namespace SwitchNative.Tests.Nn;

public sealed class SwitchLmReferenceTests(ITestOutputHelper output)
{
    public static IEnumerable<object[]> Devices() => new[] { "reference", "cpu" }.Select(name => new object[] { name });

    private static IDevice Create(string name) => name == "cpu" ? new CpuDevice(2) : new ReferenceDevice();

    [Theory]
    [MemberData(nameof(Devices))]
    public void Matches_pytorch_logits_loss_gradients_and_adamw_trajectory(string deviceName)
    {
        var state = SafetensorsFile.Read(FixturePaths.SwitchLmState);
        var config = SwitchLmConfig.FromJson(state.Metadata["config"]);
        int batch = int.Parse(state.Metadata["batch"]), sequence = int.Parse(state.Metadata["sequence"]);
        using var device = Create(deviceName);
        using var model = new SwitchLm(device, config);
        foreach (var (name, tensor) in model.Parameters.Entries) device.CopyFromHost<float>(state.ReadFloats(name), tensor);
        var tokens = state.ReadInts("tokens");
        var targets = state.ReadInts("targets");
        int switchLayers = config.SwitchLayerCount;

        var result = model.Forward(tokens, targets, batch, sequence, new SwitchPass(Training: true));
        model.ZeroGradients();
        model.Backward(1f / result.TokenCount, 1f / switchLayers);
        double loss = result.CrossEntropy + result.AuxLoss + result.ZLoss;
        output.WriteLine($"loss {loss:F6} vs {state.ReadFloats("loss")[0]:F6}");
        // Float32 end to end on both sides, different summation orders: 1e-5 on O(1) values.
        Assert.Equal(state.ReadFloats("loss")[0], loss, 4e-5);
        Close.All(state.ReadFloats("logits"), device.ToArray(model.LastLogits!), 2e-5, 1e-4, "logits");
        foreach (var (name, tensor) in model.Gradients.Entries)
        {
            var comparison = SwitchLayerStateCheck.Compare(name, state.ReadFloats("grad." + name), device.ToArray(tensor), 2e-5, 2e-3);
            output.WriteLine($"grad.{name,-36} max abs {comparison.MaxAbsoluteError:E2}");
            Assert.True(comparison.Passed, $"gradient of {name}: {comparison}");
        }

        // Five AdamW steps on the same batch (η = 1e-2, λ = 0.1 on matrices, none on norm gains).
        foreach (var (name, tensor) in model.Parameters.Entries) device.CopyFromHost<float>(state.ReadFloats(name), tensor);
        using var optimizer = new AdamWOptimizer(device, model.Parameters, model.Gradients, SwitchLmParameters.DecayedElementCount(config));
        var trajectory = state.ReadFloats("trajectory");
        for (int step = 0; step < trajectory.Length; step++)
        {
            var stepResult = model.Forward(tokens, targets, batch, sequence, new SwitchPass(Training: true));
            double stepLoss = stepResult.CrossEntropy + stepResult.AuxLoss + stepResult.ZLoss;
            output.WriteLine($"step {step + 1}: {stepLoss:F6} vs {trajectory[step]:F6}");
            // Differences compound through the updates: 1e-4 relative by step 5.
            Assert.Equal(trajectory[step], stepLoss, 1e-4 * Math.Max(1, trajectory[step]) * (step + 1));
            model.ZeroGradients();
            model.Backward(1f / stepResult.TokenCount, 1f / switchLayers);
            optimizer.Step(1e-2f, 0.1f);
        }
    }
}
