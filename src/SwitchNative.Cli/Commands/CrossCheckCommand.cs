// `switchnative crosscheck layer --state FILE [--device NAME]`: runs one Switch layer forward
// and backward from a saved state in the fixtures' format and prints, for every named tensor
// in the file, the worst absolute and relative error and OK/FAIL.
// `switchnative crosscheck model --devices A,B [--steps N] [--config small|tiny]`: trains the
// same model on two devices in lockstep and compares every activation, gradient and
// parameter, and the routing decisions. Exit 0 when all pass, 1 on any FAIL, 2 on bad input.
using System.CommandLine;
using SwitchNative.Devices;
using SwitchNative.IO;
using SwitchNative.Nn;
using SwitchNative.Random;
using SwitchNative.Training;

namespace SwitchNative.Cli.Commands;

public static class CrossCheckCommand
{
    /// <summary>The `crosscheck` command with its `layer` subcommand.</summary>
    public static Command Create(TextWriter output, TextWriter error)
    {
        var state = new Option<FileInfo>("--state") { Description = "safetensors file: inputs, weights, grad_y, reference results, config in __metadata__", Required = true };
        var device = new Option<string>("--device") { Description = CliDevices.Help, DefaultValueFactory = _ => "cpu" };
        var threads = new Option<int>("--threads") { Description = "CPU threads (0 = one per core)", DefaultValueFactory = _ => 0 };
        var layer = new Command("layer", "Run one Switch layer from a saved state and compare every named tensor") { state, device, threads };
        layer.SetAction(result => RunLayer(result.GetValue(state)!, result.GetValue(device)!, result.GetValue(threads), output, error));

        var devices = new Option<string>("--devices") { Description = "two devices to compare, e.g. cpu,ilgpu-cpu (" + CliDevices.Help + ")", DefaultValueFactory = _ => "reference,cpu" };
        var steps = new Option<int>("--steps") { Description = "training steps to compare", DefaultValueFactory = _ => 3 };
        var config = new Option<string>("--config") { Description = "small (the default preset scaled down) or tiny", DefaultValueFactory = _ => "small" };
        var seed = new Option<ulong>("--seed") { Description = "seed of init and batches", DefaultValueFactory = _ => 1 };
        var model = new Command("model", "Train the same model on two devices and compare every tensor") { devices, steps, config, seed, threads };
        model.SetAction(result => CommandErrors.Run(error, () => RunModel(result.GetValue(devices)!, result.GetValue(steps), result.GetValue(config)!, result.GetValue(seed), result.GetValue(threads), output)));
        return new Command("crosscheck", "Compare this project's results against saved states or other devices") { layer, model };
    }

    // Float32 against float32-or-double through several layers and optimizer steps: 1e-4 absolute
    // plus 2e-3 relative covers summation-order differences that compound through AdamW.
    private const double ModelAbsolute = 1e-4, ModelRelative = 2e-3;

    /// <summary>Runs the model cross-check and prints the table; returns the exit code.</summary>
    public static int RunModel(string deviceNames, int steps, string configName, ulong seed, int threads, TextWriter output)
    {
        var names = deviceNames.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (names.Length != 2) throw new ArgumentException($"--devices takes two names separated by a comma, got '{deviceNames}'");
        if (steps < 1) throw new ArgumentException("--steps must be ≥ 1");
        var config = configName switch
        {
            "small" => new SwitchLmConfig { VocabularySize = 512, ContextLength = 32, ModelDim = 64, LayerCount = 2, HeadCount = 2, FfnDim = 128, SwitchEvery = 2, ExpertCount = 4, ZLossCoefficient = 1e-3 },
            "tiny" => new SwitchLmConfig { VocabularySize = 64, ContextLength = 8, ModelDim = 16, LayerCount = 2, HeadCount = 2, FfnDim = 24, SwitchEvery = 1, ExpertCount = 4 },
            _ => throw new ArgumentException($"--config must be 'small' or 'tiny', not '{configName}'"),
        };
        var registry = CliDevices.Registry();
        using var first = registry.Create(names[0], new DeviceOptions(threads));
        using var second = registry.Create(names[1], new DeviceOptions(threads));
        // A synthetic stream with word-like statistics (token ~ a skewed draw), the same on every run.
        var tokens = Enumerable.Range(0, 20_000).Select(i => (int)(config.VocabularySize * MathF.Pow(PhiloxDistributions.Uniform(seed, 77, i), 3))).ToArray();
        var (rows, routing) = ModelCrossCheck.Run(first, second, config, tokens, batch: 4, steps, seed, ModelAbsolute, ModelRelative);
        output.WriteLine($"{first.Description} vs {second.Description}; {steps} steps of the '{configName}' config; tolerance {ModelAbsolute:E0} + {ModelRelative:E0}·|x|");
        output.WriteLine($"{"step",4} {"phase",-8} {"tensor",-40} {"max abs diff",13} {"max rel diff",13}  result");
        foreach (var row in rows)
            output.WriteLine($"{row.Step,4} {row.Phase,-8} {row.Name,-40} {row.MaxAbsoluteDifference,13:E2} {row.MaxRelativeDifference,13:E2}  {(row.Passed ? "OK" : "FAIL")}");
        foreach (var difference in routing)
            output.WriteLine($"step {difference.Step} block {difference.Layer}: {difference.Differing} routing decisions differ" +
                (difference.Ties.Count > 0 ? $" ({difference.Ties.Count} near-ties: {string.Join(", ", difference.Ties.Take(10))})" : "") + (difference.Explained ? "" : "  FAIL"));
        int failed = rows.Count(row => !row.Passed) + routing.Count(difference => !difference.Explained);
        output.WriteLine(failed == 0 ? $"all {rows.Count} comparisons OK" : $"{failed} comparisons FAIL");
        return failed == 0 ? 0 : 1;
    }

    /// <summary>Runs the layer check and prints the table; returns the exit code.</summary>
    public static int RunLayer(FileInfo stateFile, string deviceName, int threads, TextWriter output, TextWriter error)
    {
        SafetensorsFile state;
        IDevice device;
        try
        {
            state = SafetensorsFile.Read(stateFile.FullName);
            device = CliDevices.Registry().Create(deviceName, new DeviceOptions(threads));
        }
        catch (Exception failure) when (failure is IOException or InvalidDataException or ArgumentException or UnauthorizedAccessException or InvalidOperationException)
        {
            error.WriteLine($"error: {failure.Message}");
            return 2;
        }
        using (device)
        {
            IReadOnlyList<TensorComparison> comparisons;
            try
            {
                comparisons = SwitchLayerStateCheck.Run(device, state);
            }
            catch (Exception failure) when (failure is InvalidDataException or KeyNotFoundException or ArgumentException)
            {
                error.WriteLine($"error: {stateFile.Name} cannot be run as a Switch layer state: {failure.Message}");
                return 2;
            }
            output.WriteLine($"{stateFile.Name} on {device.Description}");
            output.WriteLine($"{"tensor",-20} {"max abs err",12} {"max rel err",12} {"tolerance",18}  result");
            foreach (var c in comparisons)
                output.WriteLine($"{c.Name,-20} {c.MaxAbsoluteError,12:E2} {c.MaxRelativeError,12:E2} {(c.Absolute == 0 && c.Relative == 0 ? "exact" : $"{c.Absolute:E0} + {c.Relative:E0}·|e|"),18}  {(c.Passed ? "OK" : "FAIL")}");
            int failed = comparisons.Count(c => !c.Passed);
            output.WriteLine(failed == 0 ? $"all {comparisons.Count} tensors OK" : $"{failed} of {comparisons.Count} tensors FAIL");
            return failed == 0 ? 0 : 1;
        }
    }
}
