// The GEMM's shared schedule, on a plan that only records what runs when: every unit runs exactly
// once, a compute unit only after its step's packing and after the same unit of the step it
// continues, a pack unit only after the last readers of its buffer are done, each thread's first
// unit of a step (and only that one) is told so, and a unit that throws ends every thread's wait
// instead of leaving one spinning.
using System.Collections.Concurrent;
using SwitchNative.Devices.Cpu.Gemm;

namespace SwitchNative.Tests.Devices;

public sealed unsafe class SharedPackingScheduleTests
{
    // Steps of one plan: (pack units, compute units, continues the step before).
    private static readonly (int Pack, int Compute, bool Continues)[] Steps =
    [
        (3, 4, false), (1, 4, true), (0, 2, false), (5, 3, false), (2, 3, true), (2, 3, true), (0, 1, false), (4, 6, false),
    ];

    private sealed class RecordingPlan(int offset, (int Pack, int Compute, bool Continues)[] steps, Func<int, int, bool>? throwAt = null) : GemmStepPlan
    {
        public readonly int[][] PackRuns = steps.Select(step => new int[step.Pack]).ToArray();
        public readonly int[][] ComputeRuns = steps.Select(step => new int[step.Compute]).ToArray();
        public readonly ConcurrentBag<string> Violations = new();
        public readonly HashSet<nint>[] BuffersSeen = steps.Select(_ => new HashSet<nint>()).ToArray();
        private readonly HashSet<(int Thread, int Step)> _threadSteps = new();

        public override int StepCount => steps.Length;
        public override int PackUnits(int step) => steps[step].Pack;
        public override int ComputeUnits(int step) => steps[step].Compute;
        public override bool ContinuesPreviousStep(int step) => steps[step].Continues;

        public override void Pack(int step, int unit, float* shared)
        {
            Thread.SpinWait(2000 + 500 * ((unit + step + offset) % 3));
            // The buffer's previous packing step (two packing steps back) must be fully computed.
            int previous = PreviousPackingStep(PreviousPackingStep(step));
            if (previous >= 0 && !AllDone(ComputeRuns[previous]))
                Violations.Add($"pack {step}.{unit} before step {previous} was computed");
            lock (BuffersSeen[step]) BuffersSeen[step].Add((nint)shared);
            Interlocked.Increment(ref PackRuns[step][unit]);
        }

        public override void Compute(int step, int unit, float* shared, float* ownA, float* ownB, bool firstOfStep)
        {
            if (throwAt?.Invoke(step, unit) == true) throw new InvalidOperationException($"unit {step}.{unit} fails");
            bool first;
            lock (_threadSteps) first = _threadSteps.Add((Environment.CurrentManagedThreadId, step));
            if (first != firstOfStep) Violations.Add($"compute {step}.{unit} told firstOfStep = {firstOfStep}, but it is {(first ? "" : "not ")}its thread's first unit of the step");
            if (!AllDone(PackRuns[step])) Violations.Add($"compute {step}.{unit} before its packing");
            if (steps[step].Continues && Volatile.Read(ref ComputeRuns[step - 1][unit]) == 0) Violations.Add($"compute {step}.{unit} before {step - 1}.{unit}");
            if (steps[step].Pack > 0 && shared == null) Violations.Add($"compute {step}.{unit} without a shared buffer");
            Thread.SpinWait(3000 + 1000 * ((unit * 7 + step + offset) % 4));
            Interlocked.Increment(ref ComputeRuns[step][unit]);
        }

        private static bool AllDone(int[] runs)
        {
            for (int i = 0; i < runs.Length; i++)
                if (Volatile.Read(ref runs[i]) == 0) return false;
            return true;
        }

        private int PreviousPackingStep(int step)
        {
            if (step < 0) return -1;
            for (int s = step - 1; s >= 0; s--)
                if (steps[s].Pack > 0) return s;
            return -1;
        }
    }

    private static void RunOnThreads(SharedPackingSchedule schedule, int threads, ConcurrentBag<Exception> failures)
    {
        var workers = Enumerable.Range(0, threads).Select(index => new Thread(() =>
        {
            if (index > 0) Thread.Sleep(index); // late starters join midway
            try
            {
                schedule.Work(null, null);
            }
            catch (Exception error)
            {
                failures.Add(error);
            }
        }) { IsBackground = true }).ToArray(); // a thread left spinning must not keep the test host alive
        foreach (var worker in workers) worker.Start();
        foreach (var worker in workers) Assert.True(worker.Join(TimeSpan.FromSeconds(30)), "a thread of the schedule did not finish");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Every_unit_runs_once_and_in_order(int threads)
    {
        float* first = stackalloc float[1], second = stackalloc float[1];
        for (int trial = 0; trial < 20; trial++)
        {
            // One plan alone (buffers alternate within it), then two plans in one batch.
            var single = new RecordingPlan(trial, Steps);
            var batch = new[] { new RecordingPlan(trial, Steps), new RecordingPlan(trial + 1, Steps[2..]) };
            foreach (var plans in new[] { new[] { single }, batch })
            {
                var failures = new ConcurrentBag<Exception>();
                RunOnThreads(new SharedPackingSchedule(plans, first, second), threads, failures);
                Assert.Empty(failures);
                foreach (var plan in plans)
                {
                    Assert.Empty(plan.Violations);
                    Assert.All(plan.PackRuns.SelectMany(runs => runs), count => Assert.Equal(1, count));
                    Assert.All(plan.ComputeRuns.SelectMany(runs => runs), count => Assert.Equal(1, count));
                }
            }
            // Within one plan, consecutive packing steps use different buffers.
            var packing = Enumerable.Range(0, Steps.Length).Where(step => Steps[step].Pack > 0).ToArray();
            for (int i = 1; i < packing.Length; i++)
                Assert.NotEqual(single.BuffersSeen[packing[i - 1]].Single(), single.BuffersSeen[packing[i]].Single());
        }
    }

    [Fact]
    public void A_failing_unit_ends_every_threads_wait()
    {
        float* first = stackalloc float[1], second = stackalloc float[1];
        // Unit 1 of step 0 fails; step 1 continues step 0, so whoever takes unit 1 of step 1 waits on it.
        var plan = new RecordingPlan(0, Steps, throwAt: (step, unit) => step == 0 && unit == 1);
        var failures = new ConcurrentBag<Exception>();
        RunOnThreads(new SharedPackingSchedule([plan], first, second), 3, failures);
        Assert.Contains(failures, error => error is InvalidOperationException);
        Assert.All(failures, error => Assert.True(error is InvalidOperationException or OperationCanceledException, error.ToString()));
    }
}
