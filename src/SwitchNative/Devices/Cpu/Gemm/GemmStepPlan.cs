// The steps of one product of a batch on a SharedPackingSchedule.
namespace SwitchNative.Devices.Cpu.Gemm;

/// <summary>
/// One product cut into steps, each of pack units (pieces of a block that all threads read,
/// packed into a shared buffer) and compute units (disjoint pieces of C, each run by one thread).
/// </summary>
internal abstract unsafe class GemmStepPlan
{
    /// <summary>Steps of the product, run in order.</summary>
    public abstract int StepCount { get; }

    /// <summary>Pack units of step <paramref name="step"/> (0: it shares nothing).</summary>
    public abstract int PackUnits(int step);

    /// <summary>Compute units of step <paramref name="step"/>.</summary>
    public abstract int ComputeUnits(int step);

    /// <summary>
    /// Whether compute unit u of <paramref name="step"/> adds into the piece of C that unit u of
    /// the step before wrote (the next depth block), so must wait for it.
    /// </summary>
    public abstract bool ContinuesPreviousStep(int step);

    /// <summary>Packs unit <paramref name="unit"/> of the step's shared block into <paramref name="shared"/>.</summary>
    public abstract void Pack(int step, int unit, float* shared);

    /// <summary>
    /// Adds the step's part of compute unit <paramref name="unit"/> into C, with the calling thread's
    /// own buffers. <paramref name="firstOfStep"/>: this is the first unit of the step the calling
    /// thread runs, so its own buffers hold nothing it packed for this step yet.
    /// </summary>
    public abstract void Compute(int step, int unit, float* shared, float* ownA, float* ownB, bool firstOfStep);
}
