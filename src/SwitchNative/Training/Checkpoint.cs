// Checkpoints: the model as safetensors (checkpoint names, the config in __metadata__) plus
// config.json, and the training state in a second safetensors file that holds everything a
// resume needs in one atomic write (parameters, AdamW moments, step, best validation loss), so
// `train --resume` continues bit-exactly and a crash between two writes can never pair a
// model with the wrong optimizer state. Loading checks every name, dtype and shape against the
// config before touching the model.
using System.Globalization;
using SwitchNative.Devices;
using SwitchNative.IO;
using SwitchNative.Nn;

namespace SwitchNative.Training;

/// <summary>Training progress stored with the optimizer state.</summary>
/// <param name="Step">Steps completed.</param>
/// <param name="TokensSeen">Training tokens consumed.</param>
/// <param name="BestValidLoss">Lowest validation loss so far (∞ before the first evaluation).</param>
public sealed record TrainingProgress(int Step, long TokensSeen, double BestValidLoss);

/// <summary>Saving and loading model and optimizer state.</summary>
public static class Checkpoint
{
    /// <summary>File names inside a run directory.</summary>
    public const string ModelFile = "model.safetensors", BestModelFile = "best.safetensors", StateFile = "training-state.safetensors", ConfigFile = "config.json";

    private const string Format = "switchnative-checkpoint-1";

    /// <summary>Writes the model's parameters (and config) to <paramref name="path"/>.</summary>
    public static void SaveModel(SwitchLm model, string path, int step)
    {
        var tensors = model.Parameters.Entries.Select(entry => new SafetensorsTensor(entry.Name, entry.Tensor.Shape.ToArray(), model.Device.ToArray(entry.Tensor))).ToList();
        SafetensorsWriter.Write(path, tensors, new Dictionary<string, string>
        {
            ["format"] = Format,
            ["config"] = model.Config.ToJson(),
            ["step"] = step.ToString(CultureInfo.InvariantCulture),
        });
    }

    /// <summary>Writes model, config and optimizer state into <paramref name="runDirectory"/>.</summary>
    public static void Save(SwitchLm model, AdamWOptimizer optimizer, TrainingProgress progress, string runDirectory)
    {
        Directory.CreateDirectory(runDirectory);
        File.WriteAllText(Path.Combine(runDirectory, ConfigFile), model.Config.ToJson());
        SafetensorsWriter.Write(Path.Combine(runDirectory, StateFile),
        [
            new SafetensorsTensor("parameters", [(int)model.Parameters.Flat.ElementCount], model.Device.ToArray(model.Parameters.Flat)),
            new SafetensorsTensor("first_moment", [(int)optimizer.FirstMoment.Flat.ElementCount], model.Device.ToArray(optimizer.FirstMoment.Flat)),
            new SafetensorsTensor("second_moment", [(int)optimizer.SecondMoment.Flat.ElementCount], model.Device.ToArray(optimizer.SecondMoment.Flat)),
        ], new Dictionary<string, string>
        {
            ["format"] = Format,
            ["config"] = model.Config.ToJson(),
            ["step"] = progress.Step.ToString(CultureInfo.InvariantCulture),
            ["optimizer_step"] = optimizer.StepCount.ToString(CultureInfo.InvariantCulture),
            ["tokens_seen"] = progress.TokensSeen.ToString(CultureInfo.InvariantCulture),
            ["best_valid_loss"] = progress.BestValidLoss.ToString("R", CultureInfo.InvariantCulture),
        });
        SaveModel(model, Path.Combine(runDirectory, ModelFile), progress.Step);
    }

    /// <summary>Reads the config stored in a model file, validating the file first.</summary>
    public static SwitchLmConfig ReadConfig(string modelPath) => ReadConfig(SafetensorsFile.Read(modelPath), modelPath);

    private static SwitchLmConfig ReadConfig(SafetensorsFile file, string path)
    {
        if (!file.Metadata.TryGetValue("config", out var json)) throw new InvalidDataException($"'{path}' has no model config in its metadata; it is not a SwitchNative checkpoint");
        try
        {
            return SwitchLmConfig.FromJson(json);
        }
        catch (Exception error) when (error is System.Text.Json.JsonException or ArgumentException)
        {
            throw new InvalidDataException($"'{path}' holds an invalid model config: {error.Message}");
        }
    }

    /// <summary>Creates a model on <paramref name="device"/> from a model file; returns it and the step it was saved at.</summary>
    public static (SwitchLm Model, int Step) LoadModel(IDevice device, string modelPath)
    {
        var file = SafetensorsFile.Read(modelPath);
        var config = ReadConfig(file, modelPath);
        var expected = SwitchLmParameters.Layout(config).ToDictionary(entry => entry.Name, entry => entry.Shape);
        foreach (var name in file.Names)
            if (!expected.ContainsKey(name)) throw new InvalidDataException($"'{modelPath}' holds an unexpected tensor '{name}' for its config");
        foreach (var (name, shape) in expected)
        {
            if (!file.Contains(name)) throw new InvalidDataException($"'{modelPath}' lacks the tensor '{name}'");
            var entry = file.Entry(name);
            if (entry.DType != "F32" || !entry.Shape.SequenceEqual(shape))
                throw new InvalidDataException($"'{modelPath}': tensor '{name}' is {entry.DType} [{string.Join(", ", entry.Shape)}], the config needs F32 {shape}");
        }
        var model = new SwitchLm(device, config);
        foreach (var (name, tensor) in model.Parameters.Entries) device.CopyFromHost<float>(file.ReadFloats(name), tensor);
        int step = file.Metadata.TryGetValue("step", out var text) && int.TryParse(text, CultureInfo.InvariantCulture, out int parsed) ? parsed : 0;
        return (model, step);
    }

    /// <summary>
    /// Restores a run from its training-state file: a model with the saved parameters, an
    /// optimizer with the saved moments and step, and the progress.
    /// </summary>
    public static (SwitchLm Model, AdamWOptimizer Optimizer, TrainingProgress Progress) LoadTrainingState(IDevice device, string runDirectory)
    {
        string path = Path.Combine(runDirectory, StateFile);
        var file = SafetensorsFile.Read(path);
        var config = ReadConfig(file, path);
        string Meta(string key) => file.Metadata.TryGetValue(key, out var value) ? value : throw new InvalidDataException($"'{path}' lacks '{key}' in its metadata");
        var model = new SwitchLm(device, config);
        var optimizer = new AdamWOptimizer(device, model.Parameters, model.Gradients, SwitchLmParameters.DecayedElementCount(config));
        try
        {
            foreach (var (name, tensor) in new[] { ("parameters", model.Parameters.Flat), ("first_moment", optimizer.FirstMoment.Flat), ("second_moment", optimizer.SecondMoment.Flat) })
            {
                var entry = file.Entry(name);
                if (entry.DType != "F32" || entry.ElementCount != tensor.ElementCount)
                    throw new InvalidDataException($"'{path}': '{name}' holds {entry.ElementCount} {entry.DType} values, the config needs {tensor.ElementCount}");
                device.CopyFromHost<float>(file.ReadFloats(name), tensor);
            }
            optimizer.StepCount = int.Parse(Meta("optimizer_step"), CultureInfo.InvariantCulture);
            var progress = new TrainingProgress(int.Parse(Meta("step"), CultureInfo.InvariantCulture), long.Parse(Meta("tokens_seen"), CultureInfo.InvariantCulture),
                double.Parse(Meta("best_valid_loss"), CultureInfo.InvariantCulture));
            return (model, optimizer, progress);
        }
        catch
        {
            optimizer.Dispose();
            model.Dispose();
            throw;
        }
    }
}
