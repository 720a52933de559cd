// `switchnative crosscheck layer`: a table and exit 0 on a good state, exit 1 when a tensor is
// off, exit 2 with a message for a file that is not a state or a device that does not exist.
using SwitchNative.Cli.Commands;
using SwitchNative.Tests.Infrastructure;

namespace SwitchNative.Tests.Cli;

public sealed class CrossCheckCommandTests
{
    private static (int ExitCode, string Output, string Error) Run(string path, string device = "cpu")
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = CrossCheckCommand.RunLayer(new FileInfo(path), device, 2, output, error);
        return (code, output.ToString(), error.ToString());
    }

    [Theory]
    [InlineData("top2_renorm", "cpu")]
    [InlineData("top3_gelu_raw_gates", "reference")]
    public void Prints_every_tensor_and_exits_zero_on_a_matching_state(string name, string device)
    {
        var (code, output, _) = Run(FixturePaths.StatePath(name), device);
        Assert.Equal(0, code);
        foreach (var tensor in new[] { "logits", "probs", "expert_index", "gates", "kept", "slot", "y", "aux_loss", "z_loss", "loss", "grad.x", "grad.router.weight", "grad.experts.w1", "grad.experts.w2" })
            Assert.Contains(tensor, output);
        Assert.Contains("all 16 tensors OK", output);
    }

    [Fact]
    public void Exits_one_when_a_reference_tensor_is_off()
    {
        // Flip one byte inside the stored y: the header stays valid, the comparison must fail.
        var bytes = File.ReadAllBytes(FixturePaths.StatePath("odd_shapes"));
        var state = SwitchNative.IO.SafetensorsFile.Parse(bytes);
        var entry = state.Entry("y");
        long headerLength = BitConverter.ToInt64(bytes, 0);
        bytes[8 + headerLength + entry.Begin + 3] ^= 0x40;
        var path = Path.Combine(Path.GetTempPath(), $"switchnative-corrupt-{Guid.NewGuid():N}.safetensors");
        File.WriteAllBytes(path, bytes);
        try
        {
            var (code, output, _) = Run(path);
            Assert.Equal(1, code);
            Assert.Matches(@"y\s.*FAIL", output);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Exits_two_with_a_message_for_unusable_input()
    {
        var path = Path.Combine(Path.GetTempPath(), $"switchnative-short-{Guid.NewGuid():N}.safetensors");
        File.WriteAllBytes(path, [1, 2, 3]);
        try
        {
            var (code, _, error) = Run(path);
            Assert.Equal(2, code);
            Assert.Contains("too short", error);
        }
        finally
        {
            File.Delete(path);
        }
        var (missingCode, _, missingError) = Run("/nonexistent/state.safetensors");
        Assert.Equal(2, missingCode);
        Assert.Contains("no safetensors file", missingError);
        var (deviceCode, _, deviceError) = Run(FixturePaths.StatePath("dropless"), "tpu");
        Assert.Equal(2, deviceCode);
        Assert.Contains("unknown device", deviceError);
    }
}

public sealed class CrossCheckModelCommandTests
{
    [Fact]
    public void Reference_and_cpu_agree_on_every_tensor_for_three_steps()
    {
        var output = new StringWriter();
        int code = CrossCheckCommand.RunModel("reference,cpu", 3, "small", 1, 2, output);
        Assert.True(code == 0, output.ToString());
        string text = output.ToString();
        foreach (var name in new[] { "logits", "loss", "grad.blocks.1.ffn.experts.w1", "blocks.1.ffn.router.probs", "embedding.weight" })
            Assert.Contains(name, text);
        Assert.Contains("0 routing decisions differ", text);
        Assert.DoesNotContain("FAIL", text);
    }

    [Fact]
    public void Cpu_and_ilgpu_cpu_agree_on_every_tensor_for_three_steps()
    {
        var output = new StringWriter();
        int code = CrossCheckCommand.RunModel("cpu,ilgpu-cpu", 3, "small", 1, 2, output);
        Assert.True(code == 0, output.ToString());
        Assert.Contains("ilgpu-cpu", output.ToString());
        Assert.DoesNotContain("FAIL", output.ToString());
    }

    [Fact]
    public void Bad_device_lists_are_refused()
    {
        Assert.Throws<ArgumentException>(() => CrossCheckCommand.RunModel("cpu", 1, "small", 1, 2, new StringWriter()));
        Assert.Throws<ArgumentException>(() => CrossCheckCommand.RunModel("cpu,gpu", 1, "small", 1, 2, new StringWriter()));
        Assert.Throws<ArgumentException>(() => CrossCheckCommand.RunModel("cpu,reference", 1, "huge", 1, 2, new StringWriter()));
    }
}
