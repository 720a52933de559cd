// Element-wise ILGPU kernels: one thread per element. The GELU math is the CPU device's
// (GeluOperator's formula, written for scalars), so both devices compute the same function.
using ILGPU;
using SwitchNative.Random;

namespace SwitchNative.Ilgpu.Kernels;

internal static class ElementwiseKernels
{
    private const float GeluScale = 0.7978845608f, GeluCubic = 0.044715f;

    public static void Fill(Index1D i, ArrayView<float> y, float value) => y[i] = value;

    public static void Add(Index1D i, ArrayView<float> a, ArrayView<float> b, ArrayView<float> destination) => destination[i] = a[i] + b[i];

    public static void Multiply(Index1D i, ArrayView<float> a, ArrayView<float> b, ArrayView<float> destination) => destination[i] = a[i] * b[i];

    public static void Scale(Index1D i, ArrayView<float> x, float alpha, ArrayView<float> destination) => destination[i] = alpha * x[i];

    public static void Axpy(Index1D i, ArrayView<float> x, float alpha, ArrayView<float> y) => y[i] += alpha * x[i];

    public static void Relu(Index1D i, ArrayView<float> x, ArrayView<float> y) => y[i] = x[i] > 0f ? x[i] : 0f;

    public static void ReluBackward(Index1D i, ArrayView<float> x, ArrayView<float> dy, ArrayView<float> dx) => dx[i] = x[i] > 0f ? dy[i] : 0f;

    // GELU(x) = x·σ(2u), u = √(2/π)(x + 0.044715x³).
    public static void Gelu(Index1D i, ArrayView<float> x, ArrayView<float> y)
    {
        float v = x[i];
        y[i] = v / (1f + MathF.Exp(-2f * GeluScale * (v + GeluCubic * v * v * v)));
    }

    // GELU'(x) = s + 2x·s(1 − s)·√(2/π)(1 + 3·0.044715x²), s = σ(2u).
    public static void GeluBackward(Index1D i, ArrayView<float> x, ArrayView<float> dy, ArrayView<float> dx)
    {
        float v = x[i];
        float s = 1f / (1f + MathF.Exp(-2f * GeluScale * (v + GeluCubic * v * v * v)));
        dx[i] = dy[i] * (s + 2f * v * s * (1f - s) * GeluScale * (1f + 3f * GeluCubic * v * v));
    }

    public static void AdamW(Index1D i, ArrayView<float> gradients, ArrayView<float> parameters, ArrayView<float> firstMoment, ArrayView<float> secondMoment, AdamWArguments s)
    {
        float g = gradients[i];
        float m = s.Beta1 * firstMoment[i] + (1f - s.Beta1) * g;
        float v = s.Beta2 * secondMoment[i] + (1f - s.Beta2) * g * g;
        firstMoment[i] = m;
        secondMoment[i] = v;
        float theta = parameters[i];
        parameters[i] = theta - s.LearningRate * (m * s.Correction1 / (MathF.Sqrt(v * s.Correction2) + s.Epsilon) + s.WeightDecay * theta);
    }

    // Philox fills: the same pure functions of (seed, stream, index) as every other device.
    public static void Uniform(Index1D i, ArrayView<float> y, RandomArguments r) => y[i] = r.Low + (r.High - r.Low) * PhiloxDistributions.Uniform(r.Seed, r.Stream, i);

    public static void Normal(Index1D i, ArrayView<float> y, RandomArguments r) => y[i] = r.Low + r.High * PhiloxDistributions.Normal(r.Seed, r.Stream, i);

    public static void TruncatedNormal(Index1D i, ArrayView<float> y, RandomArguments r) => y[i] = r.Low + r.High * PhiloxDistributions.TruncatedNormal(r.Seed, r.Stream, i);

    public static void DropoutMask(Index1D i, ArrayView<float> y, RandomArguments r) => y[i] = PhiloxDistributions.Uniform(r.Seed, r.Stream, i) < r.Low ? 0f : r.High;
}

/// <summary>AdamW scalars with the bias corrections c₁ = 1/(1−β₁ᵗ), c₂ = 1/(1−β₂ᵗ) precomputed.</summary>
internal readonly record struct AdamWArguments(float LearningRate, float Beta1, float Beta2, float Epsilon, float WeightDecay, float Correction1, float Correction2);

/// <summary>Philox key and two distribution parameters (low/high, mean/std, or p and 1/(1 − p)).</summary>
internal readonly record struct RandomArguments(ulong Seed, uint Stream, float Low, float High);
