// Tiled GEMM for ILGPU: each 8×8 thread group computes an 8×8 tile of C, staging 8×8
// tiles of op(A) and op(B) in shared memory so every global element is read once per tile
// (64 threads per group: within what ILGPU's CPU accelerator and every GPU provide).
using ILGPU;

namespace SwitchNative.Ilgpu.Kernels;

/// <summary>Sizes and flags of one product C = α·op(A)·op(B) + β·C.</summary>
internal readonly record struct GemmArguments(int M, int N, int K, int TransposeA, int TransposeB, float Alpha, float Beta);

internal static class GemmKernels
{
    public const int Tile = 8;

    public static void Gemm(ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, GemmArguments g)
    {
        var tileA = SharedMemory.Allocate<float>(Tile * Tile);
        var tileB = SharedMemory.Allocate<float>(Tile * Tile);
        int tx = Group.IdxX, ty = Group.IdxY;
        int row = Grid.IdxY * Tile + ty, column = Grid.IdxX * Tile + tx;
        float sum = 0f;
        for (int k0 = 0; k0 < g.K; k0 += Tile)
        {
            // op(A)[row, k] = A[row·K + k] or, transposed, A[k·M + row]; likewise op(B)[k, column].
            int ka = k0 + tx, kb = k0 + ty;
            tileA[ty * Tile + tx] = row < g.M && ka < g.K ? (g.TransposeA != 0 ? a[(long)ka * g.M + row] : a[(long)row * g.K + ka]) : 0f;
            tileB[ty * Tile + tx] = kb < g.K && column < g.N ? (g.TransposeB != 0 ? b[(long)column * g.K + kb] : b[(long)kb * g.N + column]) : 0f;
            Group.Barrier();
            for (int k = 0; k < Tile; k++) sum += tileA[ty * Tile + k] * tileB[k * Tile + tx];
            Group.Barrier();
        }
        if (row < g.M && column < g.N)
        {
            long index = (long)row * g.N + column;
            c[index] = g.Beta == 0f ? g.Alpha * sum : g.Alpha * sum + g.Beta * c[index];
        }
    }

    // One thread per element of C, no shared memory: for ILGPU's CPU accelerator, which runs a
    // group's threads as OS threads, so the tiled kernel's barriers cost far more than they save.
    public static void Direct(Index1D index, ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, GemmArguments g)
    {
        int row = (int)(index / g.N), column = (int)(index % g.N);
        float sum = 0f;
        for (int k = 0; k < g.K; k++)
            sum += (g.TransposeA != 0 ? a[(long)k * g.M + row] : a[(long)row * g.K + k]) * (g.TransposeB != 0 ? b[(long)column * g.K + k] : b[(long)k * g.N + column]);
        c[index] = g.Beta == 0f ? g.Alpha * sum : g.Alpha * sum + g.Beta * c[index];
    }
}
