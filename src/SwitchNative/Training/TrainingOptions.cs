// The knobs of a training run (the model's own knobs are in SwitchLmConfig).
namespace SwitchNative.Training;

/// <summary>How to train.</summary>
public sealed record TrainingOptions
{
    /// <summary>Rows per micro-batch.</summary>
    public int BatchSize { get; init; } = 16;

    /// <summary>Micro-batches whose gradients are summed before each step.</summary>
    public int GradientAccumulation { get; init; } = 1;

    /// <summary>Optimizer steps to run (the run stops earlier when the time budget ends).</summary>
    public int MaxSteps { get; init; } = 1000;

    /// <summary>Wall-clock limit of the training loop (the final evaluation runs after it); null = none.</summary>
    public TimeSpan? TimeBudget { get; init; }

    /// <summary>Peak learning rate.</summary>
    public double LearningRate { get; init; } = 3e-3;

    /// <summary>Linear warm-up steps.</summary>
    public int WarmupSteps { get; init; } = 50;

    /// <summary>Decay after warm-up.</summary>
    public DecayKind Decay { get; init; } = DecayKind.Cosine;

    /// <summary>AdamW weight decay on the matrices.</summary>
    public double WeightDecay { get; init; } = 0.05;

    /// <summary>Global gradient-norm clip (0 = off).</summary>
    public double ClipNorm { get; init; } = 1.0;

    /// <summary>Evaluate every this many steps (and at the end).</summary>
    public int EvalEvery { get; init; } = 100;

    /// <summary>Validation tokens used by the periodic evaluations (the final one uses all).</summary>
    public int EvalTokens { get; init; } = 32_768;

    /// <summary>Log a metrics line every this many steps.</summary>
    public int LogEvery { get; init; } = 10;

    /// <summary>Seed of init, batches, jitter and dropout.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>Where config, metrics and checkpoints go.</summary>
    public required string RunDirectory { get; init; }

    /// <summary>Throws on impossible values.</summary>
    public void Validate()
    {
        if (BatchSize < 1 || GradientAccumulation < 1) throw new ArgumentException("batch size and gradient accumulation must be ≥ 1");
        if (MaxSteps < 1) throw new ArgumentException($"max steps must be ≥ 1, got {MaxSteps}");
        if (!(LearningRate > 0)) throw new ArgumentException($"learning rate must be > 0, got {LearningRate}");
        if (WarmupSteps < 0 || EvalEvery < 1 || LogEvery < 1 || EvalTokens < 1) throw new ArgumentException("warm-up must be ≥ 0; eval-every, log-every and eval-tokens ≥ 1");
        if (WeightDecay < 0 || ClipNorm < 0) throw new ArgumentException("weight decay and clip norm must be ≥ 0");
        if (TimeBudget is { } budget && budget <= TimeSpan.Zero) throw new ArgumentException("the time budget must be positive");
    }
}
