// One product of a batch for PackedGemm.RunBatch (the grouped expert GEMMs hand over all
// experts' products at once).
namespace SwitchNative.Devices.Cpu.Gemm;

/// <summary>One product C = α·op(A)·op(B) + β·C of size M×K×N; C is row-major [M, N].</summary>
internal readonly unsafe struct GemmProblem(GemmOperand a, GemmOperand b, float alpha, float beta, float* c, int m, int n, int k)
{
    public GemmOperand A { get; } = a;
    public GemmOperand B { get; } = b;
    public float Alpha { get; } = alpha;
    public float Beta { get; } = beta;
    public float* C { get; } = c;
    public int M { get; } = m;
    public int N { get; } = n;
    public int K { get; } = k;

    /// <summary>
    /// Whether C may be written with non-temporal stores where a path writes whole lines of it
    /// (TransposedCWriter.WriteTransposed): set by RunBatch when the batch's output is too large to
    /// stay in cache for whatever reads it next.
    /// </summary>
    public bool StreamsC { get; init; }
}
