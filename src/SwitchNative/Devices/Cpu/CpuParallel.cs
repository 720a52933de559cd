// Work splitting for the CPU device. Work is cut into chunks whose boundaries depend only on
// the problem size, never on the thread count, so every result is the same bits whether one
// thread or many run it.
namespace SwitchNative.Devices.Cpu;

/// <summary>Runs chunked work over a fixed number of threads.</summary>
internal sealed class CpuParallel
{
    private readonly ParallelOptions _options;

    /// <summary>Uses at most <paramref name="threadCount"/> threads.</summary>
    public CpuParallel(int threadCount)
    {
        if (threadCount < 1) throw new ArgumentOutOfRangeException(nameof(threadCount), $"the CPU device needs at least one thread, got {threadCount}");
        ThreadCount = threadCount;
        _options = new ParallelOptions { MaxDegreeOfParallelism = threadCount };
    }

    /// <summary>The most threads any op uses.</summary>
    public int ThreadCount { get; }

    /// <summary>Calls <paramref name="body"/>(i) for i in [0, count), spread over the threads.</summary>
    public void For(int count, Action<int> body)
    {
        if (ThreadCount == 1 || count <= 1)
        {
            for (int i = 0; i < count; i++) body(i);
            return;
        }
        Parallel.For(0, count, _options, body);
    }

    /// <summary>
    /// Splits [0, length) into chunks of <paramref name="chunkLength"/> (the last may be shorter)
    /// and calls <paramref name="body"/>(start, length) for each.
    /// </summary>
    public void ForRanges(long length, int chunkLength, Action<int, int> body)
    {
        int chunkCount = (int)((length + chunkLength - 1) / chunkLength);
        For(chunkCount, chunk =>
        {
            int start = chunk * chunkLength;
            body(start, (int)Math.Min(chunkLength, length - start));
        });
    }
}
