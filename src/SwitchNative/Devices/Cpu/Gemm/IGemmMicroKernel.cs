// The register-tile contract of the packed GEMM (BLIS's micro-kernel): C[MR×NR] (+)= Ã·B̃ where
// Ã is an MR×kc micro-panel stored column by column and B̃ a kc×NR micro-panel stored row by row.
namespace SwitchNative.Devices.Cpu.Gemm;

/// <summary>A register-tiled GEMM micro-kernel, chosen per vector width.</summary>
internal unsafe interface IGemmMicroKernel
{
    /// <summary>MR: rows of C the kernel keeps in registers.</summary>
    static abstract int Rows { get; }

    /// <summary>NR: columns of C the kernel keeps in registers (a multiple of the vector width).</summary>
    static abstract int Columns { get; }

    /// <summary>
    /// <c>C[i, j] (+)= Σ_p packedA[p·MR + i]·packedB[p·NR + j]</c> for the full MR×NR tile;
    /// overwrites C when <paramref name="accumulate"/> is false. C has row stride <paramref name="ldc"/>.
    /// Along the way it prefetches the lines <paramref name="prefetch"/> names, one every
    /// <see cref="GemmSourcePrefetch.StepsPerLine"/> steps (those beyond depth / StepsPerLine are skipped).
    /// </summary>
    static abstract void Run(int depth, float* packedA, float* packedB, float* c, int ldc, bool accumulate, GemmSourcePrefetch prefetch);
}
