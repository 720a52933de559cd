// The CPU device's thread pool: every index runs exactly once per call, whatever the gap
// between calls (a worker still on its way to sleep, or asleep and woken), the caller never
// returns before the workers' shares are done (also when it has to block for them), a set-up
// runs once before any index, errors surface, nested calls run serially, and disposal stops the
// workers.
using SwitchNative.Devices.Cpu;

namespace SwitchNative.Tests.Devices;

public sealed class CpuParallelTests
{
    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void Every_index_runs_once_per_call_whatever_the_gap_between_calls(int threads)
    {
        using var parallel = new CpuParallel(threads);
        var random = new System.Random(7);
        for (int call = 0; call < 300; call++)
        {
            // No gap (a worker may still be finishing its previous share or going to sleep), a short one, or a long one.
            int gap = random.Next(3);
            if (gap == 1) Thread.SpinWait(200);
            else if (gap == 2) Thread.Sleep(1);
            int count = 1 + random.Next(9);
            var hits = new int[count];
            parallel.For(count, index => Interlocked.Increment(ref hits[index]));
            Assert.All(hits, hit => Assert.Equal(1, hit));
        }
    }

    [Fact]
    public void The_caller_waits_for_a_slow_worker_share_past_its_polling_time()
    {
        using var parallel = new CpuParallel(2);
        for (int call = 0; call < 5; call++)
        {
            var done = new int[2];
            // Each index sleeps 5 ms, longer than the caller polls (2 ms), so the caller blocks for
            // whichever thread runs the other index.
            parallel.For(2, index =>
            {
                Thread.Sleep(5);
                Volatile.Write(ref done[index], 1);
            });
            Assert.Equal([1, 1], done);
        }
    }

    [Fact]
    public void A_failing_index_surfaces_and_the_pool_stays_usable()
    {
        using var parallel = new CpuParallel(2);
        var error = Assert.Throws<AggregateException>(() => parallel.For(4, index =>
        {
            if (index == 3) throw new InvalidOperationException("index 3 failed");
        }));
        Assert.Contains("index 3 failed", error.InnerException!.Message);
        int sum = 0;
        parallel.For(10, index => Interlocked.Add(ref sum, index));
        Assert.Equal(45, sum);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void A_set_up_runs_once_on_the_caller_before_any_index(int threads)
    {
        using var parallel = new CpuParallel(threads);
        var caller = Thread.CurrentThread;
        for (int call = 0; call < 100; call++)
        {
            int setUps = 0;
            int[]? hits = null;
            // The workers wake while the set-up runs (it sleeps now and then, so they arrive first)
            // and must wait for the body it returns.
            parallel.For(5, () =>
            {
                Assert.Same(caller, Thread.CurrentThread);
                Interlocked.Increment(ref setUps);
                if (call % 10 == 0) Thread.Sleep(1);
                hits = new int[5];
                return index => Interlocked.Increment(ref hits[index]);
            });
            Assert.Equal(1, setUps);
            Assert.All(hits!, hit => Assert.Equal(1, hit));
        }
    }

    [Fact]
    public void A_failing_set_up_surfaces_as_is_and_the_pool_stays_usable()
    {
        using var parallel = new CpuParallel(2);
        var error = Assert.Throws<InvalidOperationException>(() => parallel.For(4, (Func<Action<int>>)(() => throw new InvalidOperationException("set-up failed"))));
        Assert.Equal("set-up failed", error.Message);
        int sum = 0;
        parallel.For(10, index => Interlocked.Add(ref sum, index));
        Assert.Equal(45, sum);
    }

    [Fact]
    public void A_call_from_inside_a_parallel_op_runs_serially()
    {
        using var parallel = new CpuParallel(2);
        int inner = 0;
        parallel.For(2, _ => parallel.For(3, _ => Interlocked.Increment(ref inner)));
        Assert.Equal(6, inner);
    }

    [Fact]
    public async Task Dispose_stops_sleeping_workers_and_later_calls_are_refused()
    {
        var parallel = new CpuParallel(3);
        parallel.For(3, _ => { });
        Thread.Sleep(5); // the workers are blocked on their events
        // A deadlock guard, not a speed check: Dispose must wake the blocked workers and join them.
        var disposal = Task.Run(parallel.Dispose);
        Assert.Same(disposal, await Task.WhenAny(disposal, Task.Delay(TimeSpan.FromMinutes(1))));
        Assert.Throws<ObjectDisposedException>(() => parallel.For(2, _ => { }));
        parallel.Dispose(); // twice is harmless
    }
}
