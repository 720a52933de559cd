// `switchnative train`: fetch the data if missing, train (or resume), evaluate on the whole
// validation set, write plots, print the perplexity and a sample.
using System.CommandLine;
using System.Text.Json;
using SwitchNative.Devices;
using SwitchNative.Devices.Cpu;
using SwitchNative.Ilgpu;
using SwitchNative.Nn;
using SwitchNative.Training;

namespace SwitchNative.Cli.Commands;

public static class TrainCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var preset = new Option<string>("--preset") { Description = "default (≈15 min on 2 cores), brown-base (long), dense (dense baseline of default), tiny", DefaultValueFactory = _ => "default" };
        var text = new Option<FileInfo?>("--text") { Description = "train on this UTF-8 text file (bytes as tokens) instead of the Brown corpus" };
        var dataDirectory = new Option<string>("--data-dir") { Description = "cache folder of the Brown corpus", DefaultValueFactory = _ => Path.Combine("data", "cache", "brown") };
        var runDirectory = new Option<string?>("--run-dir") { Description = "where checkpoints, metrics and plots go (default: runs/<preset>-<time>)" };
        var device = new Option<string>("--device") { Description = CliDevices.Help, DefaultValueFactory = _ => "cpu" };
        var threads = new Option<int>("--threads") { Description = "CPU threads (0 = one per core)", DefaultValueFactory = _ => 0 };
        var maxSteps = new Option<int?>("--max-steps") { Description = "optimizer steps" };
        var timeBudget = new Option<double?>("--time-budget") { Description = "minutes of training before the loop stops (0 = none)" };
        var resume = new Option<bool>("--resume") { Description = "continue the run in --run-dir from its last checkpoint" };
        var seed = new Option<ulong?>("--seed") { Description = "seed of init, batches and noise" };
        var batchSize = new Option<int?>("--batch-size") { Description = "sequences per step" };
        var learningRate = new Option<double?>("--learning-rate") { Description = "peak learning rate" };
        var evalEvery = new Option<int?>("--eval-every") { Description = "steps between evaluations" };
        var accumulation = new Option<int?>("--grad-accumulation") { Description = "micro-batches summed per optimizer step" };
        var dropout = new Option<float?>("--dropout") { Description = "dropout on each residual branch" };
        var expertDropout = new Option<float?>("--expert-dropout") { Description = "dropout on the experts' hidden activations" };
        var denseBaseline = new Option<bool>("--dense-baseline") { Description = "train the dense model with the same FLOPs per token instead" };
        var layers = new Option<int?>("--layers") { Description = "transformer blocks" };
        var modelDim = new Option<int?>("--d-model") { Description = "model width" };
        var experts = new Option<int?>("--experts") { Description = "experts per Switch layer" };
        var switchEvery = new Option<int?>("--switch-every") { Description = "every N-th block is a Switch layer (0 = dense)" };
        var topK = new Option<int?>("--top-k") { Description = "experts per token" };
        var context = new Option<int?>("--context") { Description = "sequence length" };
        var command = new Command("train", "Train a Switch Transformer language model")
        {
            preset, text, dataDirectory, runDirectory, device, threads, maxSteps, timeBudget, resume, seed, batchSize, learningRate, evalEvery,
            accumulation, dropout, expertDropout, denseBaseline, layers, modelDim, experts, switchEvery, topK, context,
        };
        command.SetAction((result, cancellation) => Task.FromResult(CommandErrors.Run(error, () =>
        {
            var chosen = Presets.ByName(result.GetValue(preset)!, result.GetValue(runDirectory) ?? RunDirectories.New(result.GetValue(preset)!));
            var training = chosen.Training with
            {
                MaxSteps = result.GetValue(maxSteps) ?? chosen.Training.MaxSteps,
                TimeBudget = result.GetValue(timeBudget) is { } minutes ? (minutes > 0 ? TimeSpan.FromMinutes(minutes) : null) : chosen.Training.TimeBudget,
                Seed = result.GetValue(seed) ?? chosen.Training.Seed,
                BatchSize = result.GetValue(batchSize) ?? chosen.Training.BatchSize,
                LearningRate = result.GetValue(learningRate) ?? chosen.Training.LearningRate,
                EvalEvery = result.GetValue(evalEvery) ?? chosen.Training.EvalEvery,
                GradientAccumulation = result.GetValue(accumulation) ?? chosen.Training.GradientAccumulation,
            };
            training.Validate();
            SwitchLmConfig Model(int vocabulary)
            {
                var config = chosen.Model(vocabulary);
                config = config with
                {
                    LayerCount = result.GetValue(layers) ?? config.LayerCount,
                    ModelDim = result.GetValue(modelDim) ?? config.ModelDim,
                    ExpertCount = result.GetValue(experts) ?? config.ExpertCount,
                    SwitchEvery = result.GetValue(switchEvery) ?? config.SwitchEvery,
                    TopK = result.GetValue(topK) ?? config.TopK,
                    ContextLength = result.GetValue(context) ?? config.ContextLength,
                    Dropout = result.GetValue(dropout) ?? config.Dropout,
                    ExpertDropout = result.GetValue(expertDropout) ?? config.ExpertDropout,
                };
                return result.GetValue(denseBaseline) ? config.DenseBaseline() : config;
            }
            return Train(output, result.GetValue(text), result.GetValue(dataDirectory)!, result.GetValue(device)!, result.GetValue(threads), result.GetValue(resume), training, Model, cancellation);
        })));
        return command;
    }

    private static int Train(TextWriter output, FileInfo? text, string dataDirectory, string deviceName, int threads, bool resume, TrainingOptions training, Func<int, SwitchLmConfig> modelConfig, CancellationToken cancellation)
    {
        string runDirectory = training.RunDirectory;
        using var device = CliDevices.Registry().Create(deviceName, new DeviceOptions(threads));
        var description = resume ? DataSource.Read(runDirectory) : text is null ? new DataDescription("brown", dataDirectory) : new DataDescription("text", text.FullName);
        var data = DataSource.Load(description, output.WriteLine);

        SwitchLm model;
        AdamWOptimizer optimizer;
        TrainingProgress progress;
        if (resume)
        {
            (model, optimizer, progress) = Checkpoint.LoadTrainingState(device, runDirectory);
            output.WriteLine($"resuming '{runDirectory}' at step {progress.Step}");
        }
        else
        {
            if (File.Exists(Path.Combine(runDirectory, Checkpoint.StateFile)))
                throw new ArgumentException($"'{runDirectory}' already holds a run; pass --resume to continue it or choose another --run-dir");
            model = new SwitchLm(device, modelConfig(data.VocabularySize));
            model.Initialize(training.Seed);
            optimizer = new AdamWOptimizer(device, model.Parameters, model.Gradients, SwitchLmParameters.DecayedElementCount(model.Config));
            progress = new TrainingProgress(0, 0, double.PositiveInfinity);
        }
        using (model)
        using (optimizer)
        {
            Directory.CreateDirectory(runDirectory);
            data.Save(runDirectory);
            File.WriteAllText(Path.Combine(runDirectory, Checkpoint.ConfigFile), model.Config.ToJson());
            // MFU is quoted against the CPU's FMA peak: one core's, measured on one thread, times
            // the threads used. (Measuring all cores at once for a few milliseconds read half the
            // peak whenever another process held a core, and MFU came out doubled.) A GPU's peak
            // is not measured here.
            int peakThreads = device is CpuDevice cpu ? cpu.ThreadCount : 1;
            double? peak = device is IlgpuDevice { Kind: not IlgpuAcceleratorKind.Cpu } ? null
                : peakThreads * CpuPeak.Measure(1, iterations: 10_000_000, runs: 3);
            var config = model.Config;
            output.WriteLine($"device {device.Description}; model {model.ParameterCount:N0} parameters, {config.LayerCount} blocks ({config.SwitchLayerCount} Switch × {config.ExpertCount} experts, top-{config.TopK}), d {config.ModelDim}, context {config.ContextLength}, vocabulary {config.VocabularySize:N0}");
            output.WriteLine($"{ModelFlops.PerTrainingToken(config) / 1e6:F1} MFLOP per training token; {(peak is { } fma ? $"FMA peak {peakThreads} × {fma / peakThreads:F0} GFLOP/s" : "no MFU (GPU peak not measured)")}; run directory {runDirectory}");
            var summary = new Trainer(model, optimizer, training, output.WriteLine, peak).Run(data.Train, data.Valid, progress, cancellation);
            File.WriteAllText(Path.Combine(runDirectory, "summary.json"), JsonSerializer.Serialize(new
            {
                steps = summary.Steps, valid_loss = summary.ValidLoss, valid_ppl = summary.ValidPerplexity, valid_tokens = summary.ValidTokens,
                tokens_per_s = summary.TokensPerSecond, stopped_by_time_budget = summary.StoppedByTimeBudget,
            }, new JsonSerializerOptions { WriteIndented = true }));
            foreach (var plot in Plots.Write(runDirectory)) output.WriteLine($"wrote {plot}");
            output.WriteLine($"validation perplexity {summary.ValidPerplexity:F1} (loss {summary.ValidLoss:F4} over {summary.ValidTokens:N0} tokens) after {summary.Steps} steps; {summary.TokensPerSecond:N0} tokens/s");
            var (sample, _) = TextGenerator.Generate(model, data, "", 60, new TokenSampler(0.8f, 40, training.Seed));
            output.WriteLine($"sample: {sample}");
            output.WriteLine($"checkpoint: {Path.Combine(runDirectory, Checkpoint.ModelFile)} (best: {Checkpoint.BestModelFile})");
            return 0;
        }
    }
}
