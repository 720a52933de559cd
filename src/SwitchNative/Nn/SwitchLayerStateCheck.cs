// Runs a Switch layer from a saved state (the fixtures' safetensors format: inputs, weights,
// grad_y and the configuration in __metadata__) and compares every named tensor it holds with
// what the device computes. Shared by the tests and `switchnative crosscheck layer`.
using System.Globalization;
using SwitchNative.Devices;
using SwitchNative.IO;
using SwitchNative.Tensors;

namespace SwitchNative.Nn;

/// <summary>One compared tensor: worst errors and the verdict under its tolerance.</summary>
/// <param name="Name">Tensor name in the file.</param>
/// <param name="MaxAbsoluteError">max |actual − expected|.</param>
/// <param name="MaxRelativeError">max |actual − expected| / |expected| over elements with |expected| above the absolute tolerance.</param>
/// <param name="Absolute">Absolute tolerance.</param>
/// <param name="Relative">Relative tolerance.</param>
/// <param name="Passed">Every element within absolute + relative·|expected|.</param>
public sealed record TensorComparison(string Name, double MaxAbsoluteError, double MaxRelativeError, double Absolute, double Relative, bool Passed);

/// <summary>Forward and backward of one Switch layer from a saved state, compared tensor by tensor.</summary>
public static class SwitchLayerStateCheck
{
    // Float32 on both sides with different summation orders: forward values agree to a few
    // ulps of their inputs' magnitude; gradients sum over up to T·k rows, hence looser bounds.
    // Integers (routing decisions) must match exactly.
    private const double ForwardAbsolute = 2e-5, ForwardRelative = 2e-4;
    private const double GradientAbsolute = 5e-5, GradientRelative = 1e-3;

    /// <summary>The layer configuration in a state file's metadata.</summary>
    public static SwitchLayerSettings SettingsFrom(IReadOnlyDictionary<string, string> metadata)
    {
        string Text(string key) => metadata.TryGetValue(key, out var value) ? value : throw new InvalidDataException($"the state's __metadata__ lacks '{key}'");
        int Integer(string key) => int.TryParse(Text(key), NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) ? value : throw new InvalidDataException($"metadata '{key}' = '{Text(key)}' is not an integer");
        double Real(string key) => double.TryParse(Text(key), NumberStyles.Float, CultureInfo.InvariantCulture, out double value) ? value : throw new InvalidDataException($"metadata '{key}' = '{Text(key)}' is not a number");
        double capacityFactor = Real("capacity_factor");
        return new SwitchLayerSettings
        {
            ModelDim = Integer("d_model"),
            FfnDim = Integer("d_ff"),
            ExpertCount = Integer("num_experts"),
            TopK = Integer("top_k"),
            CapacityFactor = capacityFactor,
            EvalCapacityFactor = capacityFactor,
            MinCapacity = Integer("min_capacity"),
            AuxLossCoefficient = Real("aux_loss_coef"),
            ZLossCoefficient = Real("z_loss_coef"),
            Activation = Text("activation").ToLowerInvariant() switch
            {
                "relu" => ExpertActivation.Relu,
                "gelu" => ExpertActivation.Gelu,
                var other => throw new InvalidDataException($"unknown activation '{other}' (relu or gelu)"),
            },
            Renormalize = Text("renormalize") is "1" or "true" or "True",
        };
    }

    /// <summary>Runs the layer on <paramref name="device"/> and compares every reference tensor present in the file.</summary>
    public static IReadOnlyList<TensorComparison> Run(IDevice device, SafetensorsFile state)
    {
        var settings = SettingsFrom(state.Metadata);
        settings.Validate();
        var x = state.ReadFloats("x");
        int tokens = checked(x.Length / settings.ModelDim);
        if (state.Metadata.TryGetValue("tokens", out var declared) && declared != tokens.ToString(CultureInfo.InvariantCulture))
            throw new InvalidDataException($"metadata says {declared} tokens, x holds {tokens}");

        using var parameters = new TensorSet(device, SwitchLayerWeights.Layout(settings));
        using var gradients = parameters.CreateLike(device);
        foreach (var (name, tensor) in parameters.Entries)
        {
            var values = state.ReadFloats(name);
            if (values.Length != tensor.ElementCount)
                throw new InvalidDataException($"'{name}' holds {values.Length} values; the configuration needs {tensor.Shape}");
            device.CopyFromHost<float>(values, tensor);
        }
        using var input = device.FromArray<float>(x, [tokens, settings.ModelDim]);
        using var output = device.Allocate([tokens, settings.ModelDim]);
        using var upstream = device.FromArray<float>(state.ReadFloats("grad_y"), [tokens, settings.ModelDim]);
        using var dx = device.Allocate([tokens, settings.ModelDim]);
        using var layer = new SwitchLayer(device, settings);
        var weights = SwitchLayerWeights.From(parameters);
        var result = layer.Forward(input, weights, new SwitchPass(Training: true), output);
        layer.Backward(upstream, weights, SwitchLayerWeights.From(gradients), dx);

        var yValues = device.ToArray(output);
        var gradY = state.ReadFloats("grad_y");
        double loss = result.AuxLoss + result.ZLoss;
        for (int i = 0; i < yValues.Length; i++) loss += (double)yValues[i] * gradY[i];

        var routing = layer.LastRouting!;
        var computed = new Dictionary<string, (float[] Values, bool Exact, bool Gradient)>
        {
            ["logits"] = (device.ToArray(layer.LastLogits!), false, false),
            ["probs"] = (device.ToArray(routing.Probabilities), false, false),
            ["expert_index"] = (ToFloats(device.ToArray<int>(routing.ExpertIndex)), true, false),
            ["gates"] = (device.ToArray(routing.Gates), false, false),
            ["kept"] = (ToFloats(device.ToArray<int>(routing.Kept)), true, false),
            ["slot"] = (ToFloats(device.ToArray<int>(routing.Slot)), true, false),
            ["y"] = (yValues, false, false),
            ["aux_loss"] = ([(float)result.AuxLoss], false, false),
            ["z_loss"] = ([(float)result.ZLoss], false, false),
            ["loss"] = ([(float)loss], false, true),
            ["grad.x"] = (device.ToArray(dx), false, true),
            ["grad.router.weight"] = (device.ToArray(gradients["router.weight"]), false, true),
            ["grad.experts.w1"] = (device.ToArray(gradients["experts.w1"]), false, true),
            ["grad.experts.w2"] = (device.ToArray(gradients["experts.w2"]), false, true),
        };
        var comparisons = new List<TensorComparison>();
        foreach (var (name, (values, exact, gradient)) in computed)
        {
            if (!state.Contains(name)) continue;
            var entry = state.Entry(name);
            var expected = entry.DType is "I32" or "I64" ? ToFloats(state.ReadInts(name)) : state.ReadFloats(name);
            double absolute = exact ? 0 : gradient ? GradientAbsolute : ForwardAbsolute;
            double relative = exact ? 0 : gradient ? GradientRelative : ForwardRelative;
            comparisons.Add(Compare(name, expected, values, absolute, relative));
        }
        if (state.Metadata.TryGetValue("capacity", out var capacity))
            comparisons.Add(CompareCount("capacity", int.Parse(capacity, CultureInfo.InvariantCulture), result.Routing.GroupCapacities.DefaultIfEmpty(0).Max()));
        if (state.Metadata.TryGetValue("dropped", out var dropped))
            comparisons.Add(CompareCount("dropped", int.Parse(dropped, CultureInfo.InvariantCulture), result.DroppedCount));
        return comparisons;
    }

    /// <summary>Compares two arrays under |a − e| ≤ absolute + relative·|e|.</summary>
    public static TensorComparison Compare(string name, ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double absolute, double relative)
    {
        if (expected.Length != actual.Length) return new TensorComparison(name, double.PositiveInfinity, double.PositiveInfinity, absolute, relative, false);
        double maxAbsolute = 0, maxRelative = 0;
        bool passed = true;
        for (int i = 0; i < expected.Length; i++)
        {
            double error = Math.Abs((double)actual[i] - expected[i]);
            if (double.IsNaN(error)) error = double.PositiveInfinity;
            maxAbsolute = Math.Max(maxAbsolute, error);
            if (Math.Abs(expected[i]) > Math.Max(absolute, 1e-12)) maxRelative = Math.Max(maxRelative, error / Math.Abs(expected[i]));
            passed &= error <= absolute + relative * Math.Abs(expected[i]);
        }
        return new TensorComparison(name, maxAbsolute, maxRelative, absolute, relative, passed);
    }

    private static TensorComparison CompareCount(string name, int expected, int actual) =>
        new(name, Math.Abs(expected - actual), expected == 0 ? 0 : Math.Abs(expected - actual) / (double)expected, 0, 0, expected == actual);

    private static float[] ToFloats(int[] values) => values.Select(value => (float)value).ToArray();
}
