// How PackedGemm runs products with few rows (an expert's tokens).
namespace SwitchNative.Devices.Cpu.Gemm;

/// <summary>The few-rows path of the packed GEMM.</summary>
internal enum GemmFewRowsPath
{
    /// <summary>Pack B into panels and tile with the few-rows micro-kernel (any vector width).</summary>
    Packed,

    /// <summary>Read a row-major B in place with the AVX-512 streamed-B kernels, and a transposed B with the streamed-Bᵀ kernels (from 48 rows) or the dot-product kernel where they gain.</summary>
    StreamedVector512,

    /// <summary>Read a row-major B in place with the AVX2 + FMA streamed-B kernels, and a transposed B with the dot-product kernel where it gains.</summary>
    StreamedVector256,
}
