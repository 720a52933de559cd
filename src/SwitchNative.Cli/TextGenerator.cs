// Prompt → continuation with the KV-cache decoder. When the cache fills the context, the
// last half of the tokens is re-read into a fresh cache (positions restart at 0, as in the
// random training windows).
using SwitchNative.Nn;

namespace SwitchNative.Cli;

public static class TextGenerator
{
    /// <summary>Generates <paramref name="maxTokens"/> tokens after <paramref name="prompt"/>.</summary>
    public static (string Text, int[] Tokens) Generate(SwitchLm model, DataSource data, string prompt, int maxTokens, TokenSampler sampler)
    {
        var history = data.Encode(prompt).ToList();
        if (history.Count == 0) history.Add(data.StartToken);
        using var decoder = new SwitchLmDecoder(model);
        int context = model.Config.ContextLength;
        float[] logits = [];
        foreach (var token in history.TakeLast(context)) logits = decoder.Append(token);
        var generated = new List<int>();
        for (int draw = 0; draw < maxTokens; draw++)
        {
            int next = sampler.Sample(logits, draw);
            generated.Add(next);
            history.Add(next);
            if (decoder.Length == context)
            {
                decoder.Reset();
                foreach (var token in history.TakeLast(context / 2).SkipLast(1)) decoder.Append(token);
            }
            logits = decoder.Append(next);
        }
        return (data.Decode(generated), generated.ToArray());
    }
}
