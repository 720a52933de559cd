// Element-wise operators as structs with one Invoke per vector width (the operator-struct
// pattern of TensorPrimitives and ggml): the math is written once per op, and
// ElementwiseLoops drives it over Vector512, Vector256, Vector128 and scalar tails.
using System.Runtime.Intrinsics;

namespace SwitchNative.Devices.Cpu.Kernels;

/// <summary>y = f(x) at every vector width.</summary>
internal interface IUnaryOperator
{
    static abstract float Invoke(float x);
    static abstract Vector128<float> Invoke(Vector128<float> x);
    static abstract Vector256<float> Invoke(Vector256<float> x);
    static abstract Vector512<float> Invoke(Vector512<float> x);
}

/// <summary>z = f(x, y) at every vector width.</summary>
internal interface IBinaryOperator
{
    static abstract float Invoke(float x, float y);
    static abstract Vector128<float> Invoke(Vector128<float> x, Vector128<float> y);
    static abstract Vector256<float> Invoke(Vector256<float> x, Vector256<float> y);
    static abstract Vector512<float> Invoke(Vector512<float> x, Vector512<float> y);
}

/// <summary>
/// GELU (tanh form) as x·σ(2u), u = √(2/π)(x + 0.044715x³), since ½(1 + tanh u) = σ(2u).
/// exp(−2u) overflowing to +∞ gives x/∞ = −0, the right limit, so no clamp is needed.
/// </summary>
internal readonly struct GeluOperator : IUnaryOperator
{
    internal const float Scale = 0.7978845608f;
    internal const float Cubic = 0.044715f;

    public static float Invoke(float x) => x / (1f + MathF.Exp(-2f * Scale * (x + Cubic * x * x * x)));

    public static Vector128<float> Invoke(Vector128<float> x) =>
        x / (Vector128<float>.One + Vector128.Exp(Vector128.Create(-2f * Scale) * (x + Vector128.Create(Cubic) * x * x * x)));

    public static Vector256<float> Invoke(Vector256<float> x) =>
        x / (Vector256<float>.One + Vector256.Exp(Vector256.Create(-2f * Scale) * (x + Vector256.Create(Cubic) * x * x * x)));

    public static Vector512<float> Invoke(Vector512<float> x) =>
        x / (Vector512<float>.One + Vector512.Exp(Vector512.Create(-2f * Scale) * (x + Vector512.Create(Cubic) * x * x * x)));
}

/// <summary>
/// dx = dy·GELU'(x). With s = σ(2u): tanh u = 2s − 1 and 1 − tanh²u = 4s(1 − s), so
/// GELU'(x) = s + 2x·s(1 − s)·√(2/π)(1 + 3·0.044715x²).
/// </summary>
internal readonly struct GeluBackwardOperator : IBinaryOperator
{
    public static float Invoke(float x, float dy)
    {
        float s = 1f / (1f + MathF.Exp(-2f * GeluOperator.Scale * (x + GeluOperator.Cubic * x * x * x)));
        float uPrime = GeluOperator.Scale * (1f + 3f * GeluOperator.Cubic * x * x);
        return dy * (s + 2f * x * s * (1f - s) * uPrime);
    }

    public static Vector128<float> Invoke(Vector128<float> x, Vector128<float> dy)
    {
        var one = Vector128<float>.One;
        var s = one / (one + Vector128.Exp(Vector128.Create(-2f * GeluOperator.Scale) * (x + Vector128.Create(GeluOperator.Cubic) * x * x * x)));
        var uPrime = Vector128.Create(GeluOperator.Scale) * (one + Vector128.Create(3f * GeluOperator.Cubic) * x * x);
        return dy * (s + Vector128.Create(2f) * x * s * (one - s) * uPrime);
    }

    public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> dy)
    {
        var one = Vector256<float>.One;
        var s = one / (one + Vector256.Exp(Vector256.Create(-2f * GeluOperator.Scale) * (x + Vector256.Create(GeluOperator.Cubic) * x * x * x)));
        var uPrime = Vector256.Create(GeluOperator.Scale) * (one + Vector256.Create(3f * GeluOperator.Cubic) * x * x);
        return dy * (s + Vector256.Create(2f) * x * s * (one - s) * uPrime);
    }

    public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> dy)
    {
        var one = Vector512<float>.One;
        var s = one / (one + Vector512.Exp(Vector512.Create(-2f * GeluOperator.Scale) * (x + Vector512.Create(GeluOperator.Cubic) * x * x * x)));
        var uPrime = Vector512.Create(GeluOperator.Scale) * (one + Vector512.Create(3f * GeluOperator.Cubic) * x * x);
        return dy * (s + Vector512.Create(2f) * x * s * (one - s) * uPrime);
    }
}

/// <summary>dx = dy where x &gt; 0, else 0.</summary>
internal readonly struct ReluBackwardOperator : IBinaryOperator
{
    public static float Invoke(float x, float dy) => x > 0f ? dy : 0f;
    public static Vector128<float> Invoke(Vector128<float> x, Vector128<float> dy) => Vector128.ConditionalSelect(Vector128.GreaterThan(x, Vector128<float>.Zero), dy, Vector128<float>.Zero);
    public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> dy) => Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<float>.Zero), dy, Vector256<float>.Zero);
    public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> dy) => Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512<float>.Zero), dy, Vector512<float>.Zero);
}
