// Learning-rate schedules: linear warm-up, then inverse-square-root or cosine decay.
namespace SwitchNative.Training;

/// <summary>The decay after warm-up.</summary>
public enum DecayKind
{
    /// <summary>η·√(warmup/step) (T5 / Switch style).</summary>
    InverseSquareRoot,
    /// <summary>Half-cosine from η to η·minimumFraction at the last step.</summary>
    Cosine,
    /// <summary>Constant η.</summary>
    Constant,
}

/// <summary>η(step) for 1-based steps.</summary>
/// <param name="PeakLearningRate">η after warm-up.</param>
/// <param name="WarmupSteps">Linear ramp from η/warmup to η.</param>
/// <param name="TotalSteps">Last step (cosine ends here).</param>
/// <param name="Decay">Decay kind.</param>
/// <param name="MinimumFraction">Cosine floor as a fraction of η.</param>
public sealed record LearningRateSchedule(double PeakLearningRate, int WarmupSteps, int TotalSteps, DecayKind Decay = DecayKind.Cosine, double MinimumFraction = 0.1)
{
    /// <summary>η at 1-based <paramref name="step"/>.</summary>
    public double At(int step)
    {
        if (step <= WarmupSteps) return PeakLearningRate * step / Math.Max(WarmupSteps, 1);
        return Decay switch
        {
            DecayKind.InverseSquareRoot => PeakLearningRate * Math.Sqrt((double)Math.Max(WarmupSteps, 1) / step),
            DecayKind.Cosine => PeakLearningRate * (MinimumFraction + (1 - MinimumFraction) * 0.5 * (1 + Math.Cos(Math.PI * Math.Min(1.0, (double)(step - WarmupSteps) / Math.Max(TotalSteps - WarmupSteps, 1))))),
            _ => PeakLearningRate,
        };
    }
}
