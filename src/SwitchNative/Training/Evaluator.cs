// Validation loss: mean cross-entropy over consecutive, non-overlapping windows of the token
// stream (each token predicted once, with as much left context as its window gives), in
// evaluation mode (no dropout or jitter; the evaluation capacity factor).
using SwitchNative.Nn;

namespace SwitchNative.Training;

/// <summary>Perplexity of a model on a token stream.</summary>
public static class Evaluator
{
    /// <summary>Mean cross-entropy (nats) over the first <paramref name="maximumTokens"/> predictions of <paramref name="tokens"/>.</summary>
    public static (double Loss, long Count) Evaluate(SwitchLm model, int[] tokens, int batch, int maximumTokens = int.MaxValue)
    {
        int sequence = model.Config.ContextLength;
        long predictions = Math.Min((long)tokens.Length - 1, maximumTokens);
        if (predictions < 1) throw new ArgumentException("evaluation needs at least two tokens");
        int windows = (int)((predictions + sequence - 1) / sequence);
        double sum = 0;
        long count = 0;
        for (int first = 0; first < windows; first += batch)
        {
            int rows = Math.Min(batch, windows - first);
            var inputs = new int[batch * sequence];
            var targets = Enumerable.Repeat(SwitchLm.IgnoreIndex, batch * sequence).ToArray();
            for (int row = 0; row < rows; row++)
            {
                long start = (long)(first + row) * sequence;
                for (int i = 0; i < sequence && start + i < predictions; i++)
                {
                    inputs[row * sequence + i] = tokens[start + i];
                    targets[row * sequence + i] = tokens[start + i + 1];
                }
            }
            var result = model.Forward(inputs, targets, batch, sequence, new SwitchPass(Training: false));
            sum += result.CrossEntropySum;
            count += result.TokenCount;
        }
        return (sum / count, count);
    }
}
