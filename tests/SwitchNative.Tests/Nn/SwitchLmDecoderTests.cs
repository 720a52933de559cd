// The KV-cache decoder gives the same next-token logits as a full forward pass over the prefix,
// and sampling is reproducible from its seed.
using SwitchNative.Devices;
using SwitchNative.Devices.Cpu;
using SwitchNative.Devices.Reference;
using SwitchNative.Nn;
using SwitchNative.Tests.Infrastructure;

namespace SwitchNative.Tests.Nn;

public sealed class SwitchLmDecoderTests
{
    [Theory]
    [InlineData("reference", PositionEncoding.Learned)]
    [InlineData("cpu", PositionEncoding.Sinusoidal)]
    public void Cached_decoding_matches_the_full_forward_pass(string deviceName, PositionEncoding positions)
    {
        using IDevice device = deviceName == "cpu" ? new CpuDevice(2) : new ReferenceDevice();
        var config = new SwitchLmConfig { VocabularySize = 30, ContextLength = 10, ModelDim = 16, LayerCount = 2, HeadCount = 4, FfnDim = 20, SwitchEvery = 1, ExpertCount = 3, EvalCapacityFactor = 0, Positions = positions, TiedEmbeddings = false };
        using var model = new SwitchLm(device, config);
        model.Initialize(5);
        var tokens = new[] { 3, 7, 7, 1, 29, 0, 12, 5, 18, 2 };
        // Full forward over the whole sequence (dropless evaluation, so routing cannot differ).
        model.Forward(tokens, tokens, 1, tokens.Length, new SwitchPass(Training: false));
        var full = device.ToArray(model.LastLogits!);
        using var decoder = new SwitchLmDecoder(model);
        for (int position = 0; position < tokens.Length; position++)
        {
            var logits = decoder.Append(tokens[position]);
            Close.All(full.AsSpan(position * 30, 30), logits, 2e-5, 1e-4, $"logits at position {position}");
        }
        Assert.Throws<InvalidOperationException>(() => decoder.Append(1));
        decoder.Reset();
        Assert.Equal(0, decoder.Length);
    }

    [Fact]
    public void Sampling_is_greedy_at_temperature_zero_and_reproducible_from_the_seed()
    {
        var logits = new[] { 0.1f, 2f, -1f, 1.9f };
        Assert.Equal(1, new TokenSampler(0f).Sample(logits, 0));
        var sampler = new TokenSampler(1f, 2, 7);
        var draws = Enumerable.Range(0, 200).Select(i => sampler.Sample(logits, i)).ToList();
        Assert.Equal(draws, Enumerable.Range(0, 200).Select(i => new TokenSampler(1f, 2, 7).Sample(logits, i)));
        Assert.All(draws, token => Assert.Contains(token, new[] { 1, 3 })); // top-2 only
        Assert.Contains(3, draws);
    }
}
