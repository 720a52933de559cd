// `switchnative eval`: perplexity of a checkpoint on the validation or test split.
using System.CommandLine;
using SwitchNative.Devices;
using SwitchNative.Training;

namespace SwitchNative.Cli.Commands;

public static class EvalCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var runDirectory = new Option<string?>("--run-dir") { Description = "run directory (default: the newest under runs/)" };
        var checkpoint = new Option<string>("--checkpoint") { Description = "model (last) or best", DefaultValueFactory = _ => "model" };
        var split = new Option<string>("--split") { Description = "valid or test", DefaultValueFactory = _ => "valid" };
        var device = new Option<string>("--device") { Description = CliDevices.Help, DefaultValueFactory = _ => "cpu" };
        var threads = new Option<int>("--threads") { Description = "CPU threads (0 = one per core)", DefaultValueFactory = _ => 0 };
        var batchSize = new Option<int>("--batch-size") { Description = "sequences per forward pass", DefaultValueFactory = _ => 16 };
        var command = new Command("eval", "Perplexity of a trained model on the validation or test split") { runDirectory, checkpoint, split, device, threads, batchSize };
        command.SetAction(result => CommandErrors.Run(error, () =>
        {
            string file = result.GetValue(checkpoint) switch
            {
                "model" => Checkpoint.ModelFile,
                "best" => Checkpoint.BestModelFile,
                var other => throw new ArgumentException($"--checkpoint must be 'model' or 'best', not '{other}'"),
            };
            string part = result.GetValue(split)!;
            if (part is not ("valid" or "test")) throw new ArgumentException($"--split must be 'valid' or 'test', not '{part}'");
            if (result.GetValue(batchSize) < 1) throw new ArgumentException("--batch-size must be ≥ 1");
            string run = RunDirectories.Resolve(result.GetValue(runDirectory));
            using var compute = CliDevices.Registry().Create(result.GetValue(device)!, new DeviceOptions(result.GetValue(threads)));
            var data = DataSource.Load(DataSource.Read(run), output.WriteLine);
            var tokens = part == "valid" ? data.Valid : data.Test;
            var (model, step) = Checkpoint.LoadModel(compute, Path.Combine(run, file));
            using (model)
            {
                var (loss, count) = Evaluator.Evaluate(model, tokens, result.GetValue(batchSize));
                output.WriteLine($"{result.GetValue(split)} perplexity {Math.Exp(loss):F1} (loss {loss:F4} over {count:N0} tokens), {file} at step {step}");
            }
            return 0;
        }));
        return command;
    }
}
