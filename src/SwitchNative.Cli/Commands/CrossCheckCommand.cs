// `switchnative crosscheck layer --state FILE [--device NAME]`: runs one Switch layer forward
// and backward from a saved state in the fixtures' format and prints, for every named tensor
// in the file, the worst absolute and relative error and OK/FAIL. Exit 0 when all pass,
// 1 on any FAIL, 2 when the file or the device cannot be used.
using System.CommandLine;
using SwitchNative.Devices;
using SwitchNative.IO;
using SwitchNative.Nn;

namespace SwitchNative.Cli.Commands;

public static class CrossCheckCommand
{
    /// <summary>The `crosscheck` command with its `layer` subcommand.</summary>
    public static Command Create(TextWriter output, TextWriter error)
    {
        var state = new Option<FileInfo>("--state") { Description = "safetensors file: inputs, weights, grad_y, reference results, config in __metadata__", Required = true };
        var device = new Option<string>("--device") { Description = "device to run on (reference, cpu)", DefaultValueFactory = _ => "cpu" };
        var threads = new Option<int>("--threads") { Description = "CPU threads (0 = one per core)", DefaultValueFactory = _ => 0 };
        var layer = new Command("layer", "Run one Switch layer from a saved state and compare every named tensor") { state, device, threads };
        layer.SetAction(result => RunLayer(result.GetValue(state)!, result.GetValue(device)!, result.GetValue(threads), output, error));
        return new Command("crosscheck", "Compare this project's results against saved states or other devices") { layer };
    }

    /// <summary>Runs the layer check and prints the table; returns the exit code.</summary>
    public static int RunLayer(FileInfo stateFile, string deviceName, int threads, TextWriter output, TextWriter error)
    {
        SafetensorsFile state;
        IDevice device;
        try
        {
            state = SafetensorsFile.Read(stateFile.FullName);
            device = DeviceRegistry.CreateDefault().Create(deviceName, new DeviceOptions(threads));
        }
        catch (Exception failure) when (failure is IOException or InvalidDataException or ArgumentException or UnauthorizedAccessException)
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
