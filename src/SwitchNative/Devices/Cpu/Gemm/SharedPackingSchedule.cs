// A product run by all threads together, in steps that each pack one operand's block once into
// a buffer every thread reads (PackedGemm.SharedPacking.cs says which operand and why).
//
// Step s is
//   1. pack units: pieces of the shared block, taken by any thread, written into buffer s mod 2;
//   2. once every pack unit of step s is done, compute units: disjoint pieces of C, each taken
//      by one thread, which may pack its own share of the other operand into its own buffer.
// Units are claimed with an atomic counter, so a thread slowed by a neighbour takes fewer and
// the shares even out, instead of the product waiting on the slower thread's fixed half.
// Two shared buffers alternate, so step s + 1 is packed while step s's last units still run:
//   - a pack unit of step s writes buffer s mod 2 only once every compute unit of step s − 2
//     (that buffer's last reader) is done;
//   - compute unit u of step s runs only once compute unit u of step s − 1 is done (consecutive
//     steps add successive depth blocks into the same piece of C, in order).
// A thread waits only for units that running threads have already claimed, so however late a
// thread starts, or if it never starts, the product finishes: a late thread finds the early
// steps taken and moves on. Each C element sees the same depth blocks in the same order as on
// one thread, so the result is bit-identical.
using System.Runtime.CompilerServices;

namespace SwitchNative.Devices.Cpu.Gemm;

internal abstract unsafe class SharedPackingSchedule
{
    private readonly int _stepCount;
    private readonly int _computeUnits;
    private readonly float* _firstBuffer;
    private readonly float* _secondBuffer;
    private readonly int[] _packTaken;
    private readonly int[] _packDone;
    private readonly int[] _computeTaken;
    private readonly int[] _computeDone;
    private readonly int[] _unitDone; // [step · computeUnits + unit]: 1 once that unit of that step is in C
    private volatile bool _failed;

    /// <param name="stepCount">Steps, run in order.</param>
    /// <param name="computeUnits">Compute units of every step; unit u covers the same piece of C in every step.</param>
    /// <param name="firstBuffer">Shared buffer of the even steps.</param>
    /// <param name="secondBuffer">Shared buffer of the odd steps.</param>
    protected SharedPackingSchedule(int stepCount, int computeUnits, float* firstBuffer, float* secondBuffer)
    {
        _stepCount = stepCount;
        _computeUnits = computeUnits;
        _firstBuffer = firstBuffer;
        _secondBuffer = secondBuffer;
        _packTaken = new int[stepCount];
        _packDone = new int[stepCount];
        _computeTaken = new int[stepCount];
        _computeDone = new int[stepCount];
        _unitDone = new int[stepCount * computeUnits];
    }

    /// <summary>Pack units of step <paramref name="step"/>.</summary>
    protected abstract int PackUnits(int step);

    /// <summary>Packs unit <paramref name="unit"/> of step <paramref name="step"/>'s shared block into <paramref name="shared"/>.</summary>
    protected abstract void Pack(int step, int unit, float* shared);

    /// <summary>Adds step <paramref name="step"/>'s part of compute unit <paramref name="unit"/> into C; <paramref name="own"/> is the calling thread's buffer.</summary>
    protected abstract void Compute(int step, int unit, float* shared, float* own);

    /// <summary>Stops the other threads' waits after a failure on one of them.</summary>
    public void Fail() => _failed = true;

    /// <summary>Takes units of every step in turn until none is left; any number of threads may call it at once.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Work(float* own)
    {
        for (int step = 0; step < _stepCount; step++)
        {
            float* shared = (step & 1) == 0 ? _firstBuffer : _secondBuffer;
            int packUnits = PackUnits(step), unit;
            while ((unit = Interlocked.Increment(ref _packTaken[step]) - 1) < packUnits)
            {
                if (step >= 2) Await(ref _computeDone[step - 2], _computeUnits);
                Pack(step, unit, shared);
                Interlocked.Increment(ref _packDone[step]);
            }
            Await(ref _packDone[step], packUnits);
            while ((unit = Interlocked.Increment(ref _computeTaken[step]) - 1) < _computeUnits)
            {
                if (step >= 1) Await(ref _unitDone[(step - 1) * _computeUnits + unit], 1);
                Compute(step, unit, shared, own);
                Volatile.Write(ref _unitDone[step * _computeUnits + unit], 1);
                Interlocked.Increment(ref _computeDone[step]);
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
