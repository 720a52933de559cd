// Writing a C block that a streamed GEMM held transposed (Cᵀ: C's rows along the vectors) into
// C itself, once all its depth blocks are summed. Both streamed drivers end this way:
// StreamedBGemm (B read in place) and StreamedTransposedBGemm (Bᵀ read in place).
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SwitchNative.Devices.Cpu.Gemm;

/// <summary>Writes a transposed C block into C.</summary>
internal static unsafe class TransposedCWriter
{
    // C[i, j] (+)= block[j·height + i] for i < rows, j < columns: 8×8 blocks through registers,
    // the ragged rest element by element.
    // streaming (β = 0, AVX-512, C's rows 64-byte aligned, whole 16-column blocks): the 16-row
    // strips go through a 16 × 16 square and out as whole lines with non-temporal stores, which
    // skip the read of each line of C that a plain store makes first. In-process on the Zen 5,
    // 64 experts × 512 × 2048 (a 32 MB C), plain time / streaming, alternating, 15 rounds, three
    // runs: uneven experts 1.012–1.016 on 1 thread and 1.015–1.031 on 2, 64-row experts
    // 1.017–1.028 and 1.009–1.018 (on the Xeon, 0.99–1.03, so it was dropped there).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void WriteTransposed(float* block, int height, float* c, int ldc, int rows, int columns, bool accumulate, bool streaming)
    {
        float* square = stackalloc float[64];
        int i = 0;
        if (streaming && !accumulate && Avx512F.IsSupported && ((nint)c & 63) == 0 && (ldc & 15) == 0 && (columns & 15) == 0 && rows >= 16)
        {
            float* lines = stackalloc float[256];
            for (; i + 16 <= rows; i += 16)
                for (int j = 0; j < columns; j += 16)
                {
                    GemmPacking.Transpose8x8(block + (long)j * height + i, height, lines, 16);
                    GemmPacking.Transpose8x8(block + (long)(j + 8) * height + i, height, lines + 8, 16);
                    GemmPacking.Transpose8x8(block + (long)j * height + i + 8, height, lines + 128, 16);
                    GemmPacking.Transpose8x8(block + (long)(j + 8) * height + i + 8, height, lines + 136, 16);
                    float* target = c + (long)i * ldc + j;
                    for (int r = 0; r < 16; r++) Avx512F.StoreAlignedNonTemporal(target + (long)r * ldc, Vector512.Load(lines + r * 16));
                }
            // Non-temporal stores are weakly ordered: make them visible before C is handed on.
            Sse.StoreFence();
        }
        for (; i + 8 <= rows; i += 8)
        {
            int j = 0;
            for (; j + 8 <= columns; j += 8)
            {
                float* target = c + (long)i * ldc + j;
                if (!accumulate)
                {
                    GemmPacking.Transpose8x8(block + (long)j * height + i, height, target, ldc);
                    continue;
                }
                GemmPacking.Transpose8x8(block + (long)j * height + i, height, square, 8);
                for (int r = 0; r < 8; r++) (Vector256.Load(target + (long)r * ldc) + Vector256.Load(square + r * 8)).Store(target + (long)r * ldc);
            }
            for (; j < columns; j++)
                for (int r = i; r < i + 8; r++) Write(c + (long)r * ldc + j, block[(long)j * height + r], accumulate);
        }
        for (; i < rows; i++)
            for (int j = 0; j < columns; j++) Write(c + (long)i * ldc + j, block[(long)j * height + i], accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Write(float* target, float value, bool accumulate) => *target = accumulate ? *target + value : value;
}
