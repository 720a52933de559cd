// A batch of products run by all threads together, in steps that each pack at most one block
// once into a buffer every thread reads (PackedGemm.SharedPacking.cs says which block and why).
//
// Step s is
//   1. pack units: pieces of the shared block, taken by any thread, written into a shared buffer;
//   2. once every pack unit of step s is done, compute units: disjoint pieces of C, each taken by
//      one thread, which may pack its own share of the other operand into its own buffers.
// Units are claimed with an atomic counter, so a thread slowed by a neighbour takes fewer and the
// shares even out, instead of the batch waiting on the slower thread's fixed half.
// The steps that pack use two shared buffers in turn, so one is packed while the other's last
// units still run:
//   - a pack unit writes its buffer only once every compute unit of that buffer's previous step is
//     done;
//   - compute unit u of a step that continues the one before (the next depth block into the same
//     piece of C) runs only once unit u of the step before is done, so depth blocks add in order.
// Every wait is for units that running threads have already claimed, at earlier steps, so
// however late a thread starts, or if it never starts, the batch finishes: a late thread finds
// the early steps taken and moves on. Each C element sees the same depth blocks in the same order
// as on one thread, so the result is bit-identical.
// Tried and dropped: packing the next step's shared block ahead, from inside this step's compute
// loop as soon as its buffer is free (from the first compute unit, or only from the last two),
// so that no thread waits on the packing at a step's start: 0.96–1.08 on 2 threads over
// 640×2048×512, 640×512×2048, 1024³, 2048³, 4096×512×2048 and dX (bit-identical; three to five
// runs of 25 rounds, no consistent gain).
using System.Runtime.CompilerServices;

namespace SwitchNative.Devices.Cpu.Gemm;

internal sealed unsafe class SharedPackingSchedule
{
    private readonly (GemmStepPlan Plan, int Step)[] _steps;
    private readonly float*[] _buffers;
    private readonly int[] _bufferOf;           // which shared buffer a step packs into (−1: none)
    private readonly int[] _previousUser;       // the last step before that packed into the same buffer (−1: none)
    private readonly int[] _firstUnit;          // offset of each step's compute units in _unitDone
    private readonly int[] _packTaken;
    private readonly int[] _packDone;
    private readonly int[] _computeTaken;
    private readonly int[] _computeDone;
    private readonly int[] _unitDone;           // 1 once that compute unit is in C
    private volatile bool _failed;

    public SharedPackingSchedule(IReadOnlyList<GemmStepPlan> plans, float* firstBuffer, float* secondBuffer)
    {
        int stepCount = 0;
        foreach (var plan in plans) stepCount += plan.StepCount;
        _steps = new (GemmStepPlan, int)[stepCount];
        int next = 0;
        foreach (var plan in plans)
            for (int step = 0; step < plan.StepCount; step++) _steps[next++] = (plan, step);
        _buffers = [firstBuffer, secondBuffer];
        int count = _steps.Length;
        _bufferOf = new int[count];
        _previousUser = new int[count];
        _firstUnit = new int[count + 1];
        int[] lastUser = [-1, -1];
        int packingSteps = 0;
        for (int s = 0; s < count; s++)
        {
            var (plan, step) = _steps[s];
            _firstUnit[s + 1] = _firstUnit[s] + plan.ComputeUnits(step);
            if (plan.PackUnits(step) == 0)
            {
                _bufferOf[s] = _previousUser[s] = -1;
                continue;
            }
            int buffer = packingSteps++ & 1;
            _bufferOf[s] = buffer;
            _previousUser[s] = lastUser[buffer];
            lastUser[buffer] = s;
        }
        _packTaken = new int[count];
        _packDone = new int[count];
        _computeTaken = new int[count];
        _computeDone = new int[count];
        _unitDone = new int[_firstUnit[count]];
    }

    /// <summary>
    /// Takes units of every step in turn until none is left; any number of threads may call it at
    /// once. If a unit throws, the exception leaves this call and every other thread's wait ends in
    /// an <see cref="OperationCanceledException"/> instead of waiting for a unit that will never be done.
    /// </summary>
    public void Work(float* ownA, float* ownB)
    {
        try
        {
            TakeUnits(ownA, ownB);
        }
        catch
        {
            _failed = true;
            throw;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void TakeUnits(float* ownA, float* ownB)
    {
        for (int s = 0; s < _steps.Length; s++)
        {
            var (plan, step) = _steps[s];
            float* shared = _bufferOf[s] < 0 ? null : _buffers[_bufferOf[s]];
            int packUnits = plan.PackUnits(step), computeUnits = _firstUnit[s + 1] - _firstUnit[s], unit;
            while ((unit = Interlocked.Increment(ref _packTaken[s]) - 1) < packUnits)
            {
                if (_previousUser[s] is int previous and >= 0) Await(ref _computeDone[previous], _firstUnit[previous + 1] - _firstUnit[previous]);
                plan.Pack(step, unit, shared);
                Interlocked.Increment(ref _packDone[s]);
            }
            Await(ref _packDone[s], packUnits);
            bool continues = plan.ContinuesPreviousStep(step), firstOfStep = true;
            while ((unit = Interlocked.Increment(ref _computeTaken[s]) - 1) < computeUnits)
            {
                if (continues) Await(ref _unitDone[_firstUnit[s - 1] + unit], 1);
                plan.Compute(step, unit, shared, ownA, ownB, firstOfStep);
                firstOfStep = false;
                Volatile.Write(ref _unitDone[_firstUnit[s] + unit], 1);
                Interlocked.Increment(ref _computeDone[s]);
            }
        }
    }

    // Spins until `counter` reaches `target`: the units it counts are claimed by running threads
    // and take a few milliseconds at most, so blocking would only add a wake-up.
    private void Await(ref int counter, int target)
    {
        var spinner = new SpinWait();
        while (Volatile.Read(ref counter) < target)
        {
            if (_failed) throw new OperationCanceledException("another thread of the GEMM failed");
            spinner.SpinOnce(sleep1Threshold: -1);
        }
    }
}
