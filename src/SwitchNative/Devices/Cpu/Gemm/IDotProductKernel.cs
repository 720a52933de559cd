// The register-tile contract of DotProductGemm: a tile of C = A·Bᵀ whose elements are dot products
// of rows of A and rows of Bᵀ read in place, one vector of each row per step.
namespace SwitchNative.Devices.Cpu.Gemm;

/// <summary>A dot-product tile, chosen per vector width.</summary>
internal unsafe interface IDotProductKernel
{
    /// <summary>Rows of A (rows of C) a tile takes.</summary>
    static abstract int Rows { get; }

    /// <summary>Rows of Bᵀ (columns of C) a tile takes.</summary>
    static abstract int Columns { get; }

    /// <summary>Depth values of each row loaded per step: one vector.</summary>
    static abstract int StepDepth { get; }

    /// <summary>
    /// <c>C[i, j] (+)= α·Σ_p a[i·lda + p]·b[j·ldb + p]</c> for i &lt; <paramref name="rows"/> (at most Rows),
    /// j &lt; <paramref name="columns"/> (at most Columns), p &lt; <paramref name="depth"/> (whole steps); C
    /// overwritten unless <paramref name="accumulate"/>. Each element's value depends only on its two
    /// rows and the depth, never on where it lies in the tile. The first <paramref name="prefetchLines"/>
    /// cache lines from <paramref name="prefetch"/> are requested into L2, one per step.
    /// </summary>
    static abstract void Run(int depth, float* a, long lda, int rows, float* b, long ldb, int columns, float alpha, bool accumulate, float* c, long ldc, float* prefetch, int prefetchLines);
}
