// AdamW over a model's flat parameter buffer, with weight decay on a prefix of it (the
// matrices) and none on the rest (the norm gains), and global-norm gradient clipping.
using SwitchNative.Devices;
using SwitchNative.Tensors;

namespace SwitchNative.Training;

/// <summary>AdamW state (m, v, step) for one parameter set.</summary>
public sealed class AdamWOptimizer : IDisposable
{
    private readonly IDevice _device;
    private readonly TensorSet _parameters;
    private readonly TensorSet _gradients;
    private readonly long _decayedCount;
    private readonly Tensor _scalar;

    /// <summary>Zeroed moments for <paramref name="parameters"/>; weight decay on the first <paramref name="decayedCount"/> elements.</summary>
    public AdamWOptimizer(IDevice device, TensorSet parameters, TensorSet gradients, long decayedCount)
    {
        if (decayedCount < 0 || decayedCount > parameters.Flat.ElementCount) throw new ArgumentOutOfRangeException(nameof(decayedCount));
        _device = device;
        _parameters = parameters;
        _gradients = gradients;
        _decayedCount = decayedCount;
        FirstMoment = parameters.CreateLike(device);
        SecondMoment = parameters.CreateLike(device);
        _scalar = device.Allocate([1]);
    }

    /// <summary>m.</summary>
    public TensorSet FirstMoment { get; }

    /// <summary>v.</summary>
    public TensorSet SecondMoment { get; }

    /// <summary>Steps taken so far (the next step is StepCount + 1).</summary>
    public int StepCount { get; set; }

    /// <summary>‖g‖₂ over all gradients.</summary>
    public double GradientNorm()
    {
        _device.SumOfSquares(_gradients.Flat, _scalar);
        return Math.Sqrt(_device.ToScalar(_scalar));
    }

    /// <summary>Scales the gradients by min(1, maxNorm/‖g‖) when maxNorm &gt; 0; returns ‖g‖ before clipping.</summary>
    public double ClipGradients(double maxNorm)
    {
        double norm = GradientNorm();
        if (maxNorm > 0 && norm > maxNorm) _device.Scale(_gradients.Flat, (float)(maxNorm / norm), _gradients.Flat);
        return norm;
    }

    /// <summary>One AdamW step with learning rate <paramref name="learningRate"/>.</summary>
    public void Step(float learningRate, float weightDecay, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f)
    {
        StepCount++;
        long total = _parameters.Flat.ElementCount;
        var decayed = new AdamWSettings(learningRate, beta1, beta2, epsilon, weightDecay);
        Update(0, _decayedCount, decayed);
        Update(_decayedCount, total - _decayedCount, decayed with { WeightDecay = 0f });
    }

    private void Update(long start, long count, AdamWSettings settings)
    {
        if (count == 0) return;
        Shape shape = [checked((int)count)];
        _device.AdamW(_gradients.Flat.View(start, shape), settings, StepCount, _parameters.Flat.View(start, shape), FirstMoment.Flat.View(start, shape), SecondMoment.Flat.View(start, shape));
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        FirstMoment.Dispose();
        SecondMoment.Dispose();
        _scalar.Dispose();
    }
}
