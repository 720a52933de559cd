// The command line end to end on small inputs: train on a text file, eval reproduces the
// final validation perplexity, generate prints text, and bad arguments exit non-zero with a message.
using System.Text.Json;
using SwitchNative.Cli.Commands;

namespace SwitchNative.Tests.Cli;

public sealed class CommandLineTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"switchnative-cli-{Guid.NewGuid():N}");

    public CommandLineTests() => Directory.CreateDirectory(_root);

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static (int Code, string Output, string Error) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var root = new System.CommandLine.RootCommand { TrainCommand.Create(output, error), EvalCommand.Create(output, error), GenerateCommand.Create(output, error), DataCommand.Create(output, error) };
        int code = root.Parse(args).Invoke();
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public void Train_eval_and_generate_work_on_a_text_file()
    {
        string text = Path.Combine(_root, "text.txt");
        File.WriteAllText(text, string.Concat(Enumerable.Repeat("the quick brown fox jumps over the lazy dog. ", 200)));
        string run = Path.Combine(_root, "run");
        var train = Run("train", "--preset", "tiny", "--text", text, "--run-dir", run, "--max-steps", "12", "--threads", "2");
        Assert.True(train.Code == 0, train.Error + train.Output);
        Assert.Contains("validation perplexity", train.Output);
        foreach (var file in new[] { "model.safetensors", "best.safetensors", "training-state.safetensors", "config.json", "metrics.jsonl", "loss.png", "expert-load-0.png", "summary.json" })
            Assert.True(File.Exists(Path.Combine(run, file)), file);

        double trainedPerplexity = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "summary.json"))).RootElement.GetProperty("valid_ppl").GetDouble();
        var eval = Run("eval", "--run-dir", run);
        Assert.Equal(0, eval.Code);
        Assert.Contains($"valid perplexity {trainedPerplexity:F1}", eval.Output);

        var generate = Run("generate", "--run-dir", run, "--prompt", "the quick", "--max-tokens", "20", "--seed", "3");
        Assert.Equal(0, generate.Code);
        Assert.StartsWith("the quick", generate.Output);
        Assert.Equal(generate.Output, Run("generate", "--run-dir", run, "--prompt", "the quick", "--max-tokens", "20", "--seed", "3").Output);

        var again = Run("train", "--preset", "tiny", "--text", text, "--run-dir", run);
        Assert.Equal(2, again.Code);
        Assert.Contains("--resume", again.Error);
        var resumed = Run("train", "--run-dir", run, "--resume", "--preset", "tiny", "--max-steps", "14");
        Assert.True(resumed.Code == 0, resumed.Error);
        Assert.Contains("resuming", resumed.Output);
    }

    [Theory]
    [InlineData("unknown preset", "train", "--preset", "huge")]
    [InlineData("unknown device", "train", "--preset", "tiny", "--device", "tpu", "--text", "/etc/hostname")]
    [InlineData("has no data.json", "eval", "--run-dir", "/nonexistent")]
    [InlineData("--split must be", "eval", "--run-dir", ".", "--split", "nope")]
    [InlineData("--max-tokens must be", "generate", "--max-tokens", "0")]
    [InlineData("does not exist", "train", "--preset", "tiny", "--text", "/nonexistent.txt")]
    public void Bad_arguments_give_a_message_and_a_non_zero_exit(string message, params string[] args)
    {
        var (code, output, error) = Run(args);
        Assert.NotEqual(0, code);
        Assert.Contains(message, error + output);
    }
}
