// AdamW over flat spans, one pass over memory: the step is bandwidth-bound, so the four loads
// and three stores of each element happen once.
//   m ← β₁m + (1−β₁)g,  v ← β₂v + (1−β₂)g²,  θ ← θ − η(m·c₁ / (√(v·c₂) + ε) + λθ)
// with c₁ = 1/(1−β₁ᵗ), c₂ = 1/(1−β₂ᵗ) the bias corrections.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace SwitchNative.Devices.Cpu.Kernels;

internal static class AdamWKernel
{
    /// <summary>Updates θ, m and v in place for one chunk of elements.</summary>
    public static void Step(ReadOnlySpan<float> gradients, AdamWSettings s, float correction1, float correction2, Span<float> parameters, Span<float> firstMoment, Span<float> secondMoment)
    {
        ref float g = ref MemoryMarshal.GetReference(gradients);
        ref float theta = ref MemoryMarshal.GetReference(parameters);
        ref float m = ref MemoryMarshal.GetReference(firstMoment);
        ref float v = ref MemoryMarshal.GetReference(secondMoment);
        nuint length = (nuint)parameters.Length, i = 0;
        float oneMinusBeta1 = 1f - s.Beta1, oneMinusBeta2 = 1f - s.Beta2;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + 16 <= length; i += 16)
            {
                var gradient = Vector512.LoadUnsafe(ref g, i);
                var first = Vector512.Create(s.Beta1) * Vector512.LoadUnsafe(ref m, i) + Vector512.Create(oneMinusBeta1) * gradient;
                var second = Vector512.Create(s.Beta2) * Vector512.LoadUnsafe(ref v, i) + Vector512.Create(oneMinusBeta2) * gradient * gradient;
                var parameter = Vector512.LoadUnsafe(ref theta, i);
                var update = first * Vector512.Create(correction1) / (Vector512.Sqrt(second * Vector512.Create(correction2)) + Vector512.Create(s.Epsilon)) + Vector512.Create(s.WeightDecay) * parameter;
                first.StoreUnsafe(ref m, i);
                second.StoreUnsafe(ref v, i);
                (parameter - Vector512.Create(s.LearningRate) * update).StoreUnsafe(ref theta, i);
            }
        }
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 8 <= length; i += 8)
            {
                var gradient = Vector256.LoadUnsafe(ref g, i);
                var first = Vector256.Create(s.Beta1) * Vector256.LoadUnsafe(ref m, i) + Vector256.Create(oneMinusBeta1) * gradient;
                var second = Vector256.Create(s.Beta2) * Vector256.LoadUnsafe(ref v, i) + Vector256.Create(oneMinusBeta2) * gradient * gradient;
                var parameter = Vector256.LoadUnsafe(ref theta, i);
                var update = first * Vector256.Create(correction1) / (Vector256.Sqrt(second * Vector256.Create(correction2)) + Vector256.Create(s.Epsilon)) + Vector256.Create(s.WeightDecay) * parameter;
                first.StoreUnsafe(ref m, i);
                second.StoreUnsafe(ref v, i);
                (parameter - Vector256.Create(s.LearningRate) * update).StoreUnsafe(ref theta, i);
            }
        }
        if (Vector128.IsHardwareAccelerated)
        {
            for (; i + 4 <= length; i += 4)
            {
                var gradient = Vector128.LoadUnsafe(ref g, i);
                var first = Vector128.Create(s.Beta1) * Vector128.LoadUnsafe(ref m, i) + Vector128.Create(oneMinusBeta1) * gradient;
                var second = Vector128.Create(s.Beta2) * Vector128.LoadUnsafe(ref v, i) + Vector128.Create(oneMinusBeta2) * gradient * gradient;
                var parameter = Vector128.LoadUnsafe(ref theta, i);
                var update = first * Vector128.Create(correction1) / (Vector128.Sqrt(second * Vector128.Create(correction2)) + Vector128.Create(s.Epsilon)) + Vector128.Create(s.WeightDecay) * parameter;
                first.StoreUnsafe(ref m, i);
                second.StoreUnsafe(ref v, i);
                (parameter - Vector128.Create(s.LearningRate) * update).StoreUnsafe(ref theta, i);
            }
        }
        for (; i < length; i++)
        {
            float gradient = Unsafe.Add(ref g, i);
            float first = s.Beta1 * Unsafe.Add(ref m, i) + oneMinusBeta1 * gradient;
            float second = s.Beta2 * Unsafe.Add(ref v, i) + oneMinusBeta2 * gradient * gradient;
            float parameter = Unsafe.Add(ref theta, i);
            float update = first * correction1 / (MathF.Sqrt(second * correction2) + s.Epsilon) + s.WeightDecay * parameter;
            Unsafe.Add(ref m, i) = first;
            Unsafe.Add(ref v, i) = second;
            Unsafe.Add(ref theta, i) = parameter - s.LearningRate * update;
        }
    }
}
