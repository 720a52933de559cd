// Work splitting for the CPU device. Work is cut into chunks whose boundaries depend only on
// the problem size, never on the thread count, so every result is the same bits whether one
// thread or many run it.
//
// The device owns its worker threads rather than using Parallel.For: a training step issues
// hundreds of short parallel ops, and the shared thread pool's idle workers spin in
// sched_yield between them, which on a 2-core machine took half the CPU time in the kernel.
//
// Handing work over costs two wake-ups if both sides block: the caller wakes a sleeping worker
// (a futex, 12–60 µs median here), and when the worker finishes last it used to wake the
// blocked caller again. Now the caller, which has nothing else to do once its share is done,
// polls for the workers (a pause loop, not sched_yield) and blocks only after CallerSpinTicks, so
// the second wake-up is gone: an empty For(2) after an idle gap went from 94–315 µs median to
// 45–243 µs (gaps of ~0.1–10 ms, two alternating runs each; 1–2 µs back to back either way).
// Workers still block as soon as they are idle: letting them poll for the next op (100 µs)
// made a training step slower (3,163–3,838 against 3,490–4,067 tokens/s, four paired runs):
// an awake worker takes chunks of the many small ops, whose data then moves between the two
// cores' caches.
using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace SwitchNative.Devices.Cpu;

/// <summary>Runs chunked work over a fixed set of threads: the caller plus ThreadCount − 1 workers.</summary>
internal sealed class CpuParallel : IDisposable
{
    // How long the caller polls for the workers to finish before it blocks.
    private static readonly long CallerSpinTicks = Stopwatch.Frequency / 500; // 2 ms

    private readonly Thread[] _workers;
    private readonly ManualResetEventSlim[] _start;
    private readonly ManualResetEventSlim _finished = new(false);
    private readonly object _dispatch = new();
    private Action<int>? _body;
    private Thread? _dispatcher;
    private int _count;
    private int _next;
    private int _pending;
    private Exception? _failure;
    private volatile bool _stopping;

    /// <summary>Uses at most <paramref name="threadCount"/> threads.</summary>
    public CpuParallel(int threadCount)
    {
        if (threadCount < 1) throw new ArgumentOutOfRangeException(nameof(threadCount), $"the CPU device needs at least one thread, got {threadCount}");
        ThreadCount = threadCount;
        _start = Enumerable.Range(0, threadCount - 1).Select(_ => new ManualResetEventSlim(false)).ToArray();
        _workers = Enumerable.Range(0, threadCount - 1).Select(index => new Thread(() => WorkerLoop(index))
        {
            IsBackground = true,
            Name = $"switchnative-cpu-{index + 1}",
        }).ToArray();
        foreach (var worker in _workers) worker.Start();
    }

    /// <summary>The most threads any op uses.</summary>
    public int ThreadCount { get; }

    /// <summary>Calls <paramref name="body"/>(i) for i in [0, count), spread over the threads.</summary>
    public void For(int count, Action<int> body) => Run(count, body, null);

    /// <summary>
    /// Like <see cref="For(int, Action{int})"/>, for work that needs setting up first:
    /// <paramref name="prepare"/> runs once, on the calling thread, while the workers wake, and
    /// returns the body they all run. A worker's wake-up (a futex; tens of µs here) otherwise
    /// starts only once the set-up is done, and the caller works alone until it arrives.
    /// </summary>
    public void For(int count, Func<Action<int>> prepare) => Run(count, null, prepare);

    // For's two forms: the body itself, or a set-up that returns it (no closure for the first,
    // which the many small ops of a training step call).
    private void Run(int count, Action<int>? givenBody, Func<Action<int>>? prepare)
    {
        // Serial when there is nothing to share, or when called from inside a parallel op (on a
        // worker, or on the caller while it runs its share).
        if (ThreadCount == 1 || count <= 1 || IsWorkerThread() || ReferenceEquals(Volatile.Read(ref _dispatcher), Thread.CurrentThread))
        {
            var serial = givenBody ?? prepare!();
            for (int i = 0; i < count; i++) serial(i);
            return;
        }
        lock (_dispatch)
        {
            ObjectDisposedException.ThrowIf(_stopping, this);
            _dispatcher = Thread.CurrentThread;
            _body = null;
            _count = count;
            _next = 0;
            _failure = null;
            int helpers = Math.Min(_workers.Length, count - 1);
            _pending = helpers;
            _finished.Reset();
            ExceptionDispatchInfo? preparationFailure = null;
            try
            {
                for (int i = 0; i < helpers; i++) _start[i].Set();
                Action<int> body;
                try
                {
                    body = givenBody ?? prepare!();
                }
                catch (Exception error)
                {
                    // The woken workers find no chunks left and report done; the error leaves as is.
                    preparationFailure = ExceptionDispatchInfo.Capture(error);
                    body = _ => { };
                    _next = count;
                }
                Volatile.Write(ref _body, body);
                RunChunks();
                if (helpers > 0) AwaitWorkers();
            }
            finally
            {
                _body = null;
                _dispatcher = null;
            }
            preparationFailure?.Throw();
            if (_failure is { } failure) throw new AggregateException("a parallel CPU kernel failed", failure);
        }
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

    // Takes chunks until none are left (dynamic scheduling: fast threads take more chunks). A
    // worker may arrive before the caller's set-up has published the body: it polls for it (the
    // set-up is microseconds; the caller holds no lock a worker needs meanwhile).
    private void RunChunks()
    {
        Action<int>? body;
        while ((body = Volatile.Read(ref _body)) is null) Thread.SpinWait(20);
        int index;
        while ((index = Interlocked.Increment(ref _next) - 1) < _count)
        {
            try
            {
                body(index);
            }
            catch (Exception error)
            {
                Interlocked.CompareExchange(ref _failure, error, null);
            }
        }
    }

    // The caller's wait for the workers' shares: poll, then block. The last worker sets the event
    // just after its count reaches zero, and the caller always waits for that too: otherwise a
    // worker delayed between the two could set it after the next op's Reset and let that op's
    // caller return before its workers finish. (Once the count is zero the Set is imminent.)
    private void AwaitWorkers()
    {
        long deadline = Stopwatch.GetTimestamp() + CallerSpinTicks;
        while (Volatile.Read(ref _pending) != 0 && Stopwatch.GetTimestamp() <= deadline) Thread.SpinWait(20);
        _finished.Wait();
    }

    // A worker resets its event before taking chunks; the caller sets it again only after this
    // worker has reported done, so no start is lost.
    private void WorkerLoop(int index)
    {
        while (true)
        {
            _start[index].Wait();
            _start[index].Reset();
            if (_stopping) return;
            RunChunks();
            if (Interlocked.Decrement(ref _pending) == 0) _finished.Set();
        }
    }

    private bool IsWorkerThread()
    {
        var current = Thread.CurrentThread;
        foreach (var worker in _workers)
            if (ReferenceEquals(worker, current)) return true;
        return false;
    }

    /// <summary>Stops the worker threads.</summary>
    public void Dispose()
    {
        lock (_dispatch)
        {
            if (_stopping) return;
            _stopping = true;
        }
        foreach (var start in _start) start.Set();
        foreach (var worker in _workers) worker.Join();
        foreach (var start in _start) start.Dispose();
        _finished.Dispose();
    }
}
