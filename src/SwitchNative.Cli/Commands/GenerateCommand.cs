// `switchnative generate`: continue a prompt with a trained model (KV-cache decoding).
using System.CommandLine;
using SwitchNative.Devices;
using SwitchNative.Nn;
using SwitchNative.Training;

namespace SwitchNative.Cli.Commands;

public static class GenerateCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var runDirectory = new Option<string?>("--run-dir") { Description = "run directory (default: the newest under runs/)" };
        var prompt = new Option<string>("--prompt") { Description = "text to continue", DefaultValueFactory = _ => "" };
        var maxTokens = new Option<int>("--max-tokens") { Description = "tokens to generate", DefaultValueFactory = _ => 50 };
        var temperature = new Option<float>("--temperature") { Description = "sampling temperature (0 = greedy)", DefaultValueFactory = _ => 0.8f };
        var topK = new Option<int>("--top-k") { Description = "sample among the k most likely tokens (0 = all)", DefaultValueFactory = _ => 40 };
        var seed = new Option<ulong>("--seed") { Description = "sampling seed", DefaultValueFactory = _ => 1 };
        var device = new Option<string>("--device") { Description = CliDevices.Help, DefaultValueFactory = _ => "cpu" };
        var command = new Command("generate", "Generate text from a trained model") { runDirectory, prompt, maxTokens, temperature, topK, seed, device };
        command.SetAction(result => CommandErrors.Run(error, () =>
        {
            if (result.GetValue(maxTokens) < 1) throw new ArgumentException("--max-tokens must be ≥ 1");
            if (result.GetValue(temperature) < 0) throw new ArgumentException("--temperature must be ≥ 0");
            if (result.GetValue(topK) < 0) throw new ArgumentException("--top-k must be ≥ 0");
            string run = RunDirectories.Resolve(result.GetValue(runDirectory));
            using var compute = CliDevices.Registry().Create(result.GetValue(device)!);
            var data = DataSource.Load(DataSource.Read(run), _ => { });
            var (model, _) = Checkpoint.LoadModel(compute, Path.Combine(run, Checkpoint.ModelFile));
            using (model)
            {
                var (text, _) = TextGenerator.Generate(model, data, result.GetValue(prompt)!, result.GetValue(maxTokens), new TokenSampler(result.GetValue(temperature), result.GetValue(topK), result.GetValue(seed)));
                output.WriteLine($"{result.GetValue(prompt)}{(result.GetValue(prompt)!.Length > 0 ? " " : "")}{text}");
            }
            return 0;
        }));
        return command;
    }
}
