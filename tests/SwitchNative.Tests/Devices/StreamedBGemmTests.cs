// The streamed-B few-rows GEMM checked on its own, against a double-precision product, for both
// kernel sets (AVX-512 and AVX2 + FMA) wherever the machine runs them, whichever path the CPU
// device happens to pick (the AVX2 kernels stream only up to 32 rows): row counts around its row
// units and its 64/48/32/16-row (16/8-row) kernels, and the fused group-and-residual pass of
// 17–24 rows; depths around its 64-step blocks; column counts that leave ragged tiles of every
// kernel width and cross its 384-column chunks and 2048-column block; and the β forms.
namespace SwitchNative.Tests.Devices;

public sealed class StreamedBGemmTests
{
    public static IEnumerable<object[]> Shapes() =>
        from shape in new (int M, int K, int N)[]
        {
            (1, 1, 1), (15, 63, 5), (16, 64, 6), (17, 65, 7), (33, 130, 37), (48, 64, 8), (64, 200, 96),
            (65, 10, 100), (80, 70, 13), (100, 129, 50), (150, 33, 70), (192, 64, 48), (40, 20, 2100),
            (33, 70, 2050), // two depth blocks (64 + 6), two column blocks, six 384-column chunks
            // Several groups and residual rows over whole 384-column chunks and a ragged last one.
            (86, 70, 800), (113, 65, 390),
            // 17–24 rows: the 16-row group and the residual rows in one pass (AVX-512), over whole
            // 16-column tiles only, one tile and a ragged rest, and across the column block (R = 2, 8, 6, 4).
            (18, 64, 16), (24, 100, 45), (21, 70, 2050), (20, 40, 33),
            // Residual rows on the 2-, 4-, 6- and 8-row tiles past 64-row groups, across the column block
            // (65 rows: two 2×128 tiles, one 2×32 and a ragged rest).
            (66, 40, 75), (67, 70, 2050), (72, 33, 40), (65, 70, 300), (70, 50, 140),
            // The 10-, 12- and 14-row residual tiles: 32 + 10 across the column block, 32 + 12,
            // 32 + 14, 48 + 13, 96 + 14, and 16 + 11 (not fused: more than 8 rows); 16 + 14 and
            // experts of 3–14 rows alone are padded instead, 1–2 rows alone run residual.
            (42, 65, 2050), (44, 70, 100), (46, 64, 75), (61, 33, 40), (110, 65, 390), (27, 70, 33),
            (30, 40, 50), (12, 64, 40), (2, 70, 300), (5, 33, 37),
            // The AVX2 kernels stream B up to 32 rows only (packed above): two 16-row groups, and
            // 16 + 8 + a padded 8, across the column block.
            (32, 70, 100), (29, 65, 2050),
        }
        from beta in new[] { 0f, 1f }
        from threads in new[] { 1, 2 }
        from wide in new[] { true, false }
        select new object[] { shape.M, shape.K, shape.N, beta, threads, wide };

    [Theory]
    [MemberData(nameof(Shapes))]
    // wide: the AVX-512 kernels, else the AVX2 + FMA ones.
    public void Matches_a_double_precision_product(int m, int k, int n, float beta, int threads, bool wide) =>
        FewRowsPathCheck.MatchesExactProduct(m, k, n, beta, threads, wide, transposedB: false, seed: 31);
}
