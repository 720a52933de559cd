// Training batches as a pure function of (seed, step, micro-batch, row): window starts come
// from Philox, so a resumed run draws exactly the batches an uninterrupted run would.
using SwitchNative.Random;

namespace SwitchNative.Training;

/// <summary>Random windows of a token stream: inputs t[i..i+S), targets t[i+1..i+S+1).</summary>
public sealed class BatchSampler
{
    private const uint StreamId = 0xBA7C;
    private readonly int[] _tokens;

    /// <summary>Samples from <paramref name="tokens"/>, which must hold more than <paramref name="sequence"/> tokens.</summary>
    public BatchSampler(int[] tokens, int batch, int sequence, ulong seed)
    {
        if (tokens.Length <= sequence) throw new ArgumentException($"the training data has {tokens.Length} tokens; a window needs {sequence + 1}");
        _tokens = tokens;
        Batch = batch;
        Sequence = sequence;
        Seed = seed;
    }

    /// <summary>Rows per micro-batch.</summary>
    public int Batch { get; }

    /// <summary>Tokens per row.</summary>
    public int Sequence { get; }

    /// <summary>The run's seed.</summary>
    public ulong Seed { get; }

    /// <summary>The micro-batch <paramref name="micro"/> of 1-based <paramref name="step"/> (of <paramref name="microBatches"/>).</summary>
    public (int[] Tokens, int[] Targets) Sample(int step, int micro, int microBatches)
    {
        var inputs = new int[Batch * Sequence];
        var targets = new int[Batch * Sequence];
        ulong range = (ulong)(_tokens.Length - Sequence);
        for (int row = 0; row < Batch; row++)
        {
            ulong index = ((ulong)step * (ulong)microBatches + (ulong)micro) * (ulong)Batch + (ulong)row;
            var bits = Philox4x32.Generate(new Block4((uint)index, (uint)(index >> 32), StreamId, 0), (uint)Seed, (uint)(Seed >> 32));
            int start = (int)((((ulong)bits.X1 << 32) | bits.X0) % range);
            Array.Copy(_tokens, start, inputs, row * Sequence, Sequence);
            Array.Copy(_tokens, start + 1, targets, row * Sequence, Sequence);
        }
        return (inputs, targets);
    }
}
