// The README's embedding example, compiled and run (at a smaller size), so the docs match the code.
using SwitchNative.Devices;
using SwitchNative.Nn;

namespace SwitchNative.Tests.Nn;

public sealed class ReadmeExampleTests
{
    [Fact]
    public void The_embedding_example_runs()
    {
        using var device = DeviceRegistry.CreateDefault().Create("cpu");
        var settings = new SwitchLayerSettings { ModelDim = 32, FfnDim = 64, ExpertCount = 8 };
        using var weights = new SwitchNative.Tensors.TensorSet(device, SwitchLayerWeights.Layout(settings));
        device.FillTruncatedNormal(seed: 1, streamId: 1, mean: 0, std: 0.02f, weights.Flat);
        using var layer = new SwitchLayer(device, settings);
        using var x = device.Allocate([256, 32]);
        using var y = device.Allocate([256, 32]);
        var result = layer.Forward(x, SwitchLayerWeights.From(weights), new SwitchPass(Training: true), y);
        Assert.Equal(0.01, result.AuxLoss, 6); // x = 0: uniform probabilities, all ties to expert 0
        Assert.Equal(256 - 40, result.DroppedCount); // C = ⌊1.25·256/8⌋ = 40
    }
}
