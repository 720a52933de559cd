// Products with few rows (an expert's tokens), with B read where it lies (AVX-512, or AVX2 + FMA).
//
// In a product of M ≈ 64 rows every value of B is used by those M rows only, so the packed
// GEMM's copy of B into panels costs about as much as the multiply it feeds: for 64 experts'
// 512×2048 weights the copy alone (256 MB) took 27 % of a single 4096-row product's time, even
// from cache, and the grouped product reached 68–70 % of that product's speed. Here the roles
// turn around: C's tile is held transposed, with its rows (the tokens) along the vectors and
// its columns across registers, so each value of B is broadcast once and multiplies V vectors of
// rows at once (StreamedBKernels). B is then only read, once, in its own layout; A — small — is
// the packed operand; and the C tile, which comes out transposed, is transposed into C once per
// column block.
//
//   for jc in the rectangle's columns by 2048:
//     for pc in K by KC = 64: pack Ã: every row group's Ã micro-panel (rows × KC)
//       for each chunk of 384 columns:
//         for each row group (AVX-512: 64 rows → 64×6 tiles, 48 → 48×8, 32 → 32×12, 16 → 16×16;
//                             AVX2: 16 → 16×6, 8 → 8×12; see StreamedBFamilies):
//           for each tile of the chunk: kernel over the KC depth steps, into the Cᵀ block
//             (the tiles of a first group of 48 or 64 rows also sweep the chunk two on into L2:
//             StreamedBSweep)
//         the last ≤ 14 rows past the whole vectors (AVX-512; see StreamedBVector512.ResidualRows):
//         StreamedBResidualKernel's R×32 tiles (R = 2, 4, …, 14)
//       (17–24 rows: the 16-row group and these rows in one pass, StreamedBGroupWithResidualKernel)
//     transpose the Cᵀ block (2048 × rows) into C; add the residual rows' block
//
// KC is 64. On the Zen 5 (1 MB L2) every group and the residual rows run over one chunk of 384
// columns (every tile width divides it) before the next, so that the later groups and the
// residual rows read the chunk's KC rows of B from L2: the Cᵀ block (up to 1.5 MB) and a whole
// depth block of B (512 KB) no longer fit L2 together. In-process, the uneven 64 experts ×
// 512 × 2048, % of one 4096-row product, three runs: 1 thread 83–85 % → 85–86 %, 2 threads
// 81–86 % → 86–87 % (chunks of 192 alike); on the Xeon (2 MB L2) chunks of 96–768 measured
// 0.93–1.03, no gain.
// On the Xeon KC was 32 where B's rows are 2048 floats (8 KB) apart or more; on the Zen 5, 64
// (`compare gemm`'s E = 64 row, % of one product, three runs each: 1 thread 82 % → 84–85 %,
// 2 threads 82–83 % → 85 %; in-process, experts of 21 rows 55 % → 67 %, 64 rows 87 → 90 %).
// A tile walks KC rows of B at once, a row stride apart. On the Xeon, at N = 2048 (the
// benchmark's experts) fewer of them at a time was faster; at N ≤ 1024 it was not. Why only there
// was not pinned down: the rows of a tile fall in one L1 set at N = 1024 as well. In-process, old
// time / new, KC 64 → 32, on the Xeon, whose memory was busy with other tenants:
//   64 experts × 512 × 2048, 1 thread (three runs): experts of 16 rows 1.21–1.37, 21 rows
//   1.09–1.22, 32 rows 1.05–1.13, 43 rows 1.02–1.04, 64 rows 1.00–1.05, 86 rows 1.02–1.05,
//   108 rows 0.97–1.06, the uneven benchmark 1.03–1.04; 2 threads: 16 rows 1.25, 21 rows
//   1.17–1.21, 64 rows 0.98–1.08, uneven 1.05; the AVX2 kernels 1.06–1.21, uneven 1.07.
//   8 experts of 128 rows × 128 × 2048 (weights in cache): 1.05 on 1 and 2 threads.
//   N ≤ 1024, where KC stays 64: the training model's 8 experts of 100–150 rows × 256 × 512 and
//   × 512 × 256, 0.95–0.98 on 1 and 2 threads (8 of 8 pairs below 1); 64 experts of 64 rows ×
//   2048 × 512 (256 MB of weights from memory) 0.95–0.99, × 512 × 1024 0.96–0.97.
// KC 16 was 0.94–1.37 at N = 2048 (worse from 43 rows up: the Cᵀ tile is loaded and stored every
// 16 steps), 48 between 32 and 64, and 128 (in an earlier build) 10–20 % slower than 64.
// Remeasured on the Xeon against its KC 32, KC 16 for experts of at most 32 rows only (KC would then
// follow the product's M as well as N, still the same on any thread count): 16 rows 0.99, 21
// rows 0.95, 32 rows 0.96, uneven 1.00 (1 thread). For scale: the same N = 2048 products with
// B's rows padded to 2064 floats (which the caller's layout does not allow) ran 1.02–1.34× faster
// than at KC 64.
// The stride's cost at the Xeon's KC 32, pinned down (the uneven 64 experts × 512 × 2048, `compare
// gemm`'s "% of 1 GEMM", one process per setting, 1 / 2 threads): B's rows 2048 floats apart
// 78–84 / 78–82 %; 2056, 2064 or 2112 floats apart (rows in different L1 sets) 83–86 / 84–87 %;
// 2304 (rows over 4 sets) 85 / 84 %; 2560 (2 sets) 81 / 81 %; 3072 (12 KB: one set again)
// 78 / 80 %. With all 64 experts sharing one B (from L3, not memory) 81–83 % at 2048 and 85–89 %
// at 2064, so it is the cache, not memory: a tile's KC rows of B share one 12-way L1 set, and the
// lines the next tiles need again are gone. OpenBLAS gains as much from the padding (its copy of B
// reads the same way). Tried against it in place, and dropped: each depth block run in sub-blocks
// of 8, 12 or 16 steps across a run of 3 or 8 tiles, their Cᵀ tiles kept in L1 between
// sub-blocks: 72–78 % (69–74 % with padded rows too: the conflict is gone, the extra Cᵀ round
// trips cost more), and 68–74 % with accumulators started from those L1 Cᵀ tiles instead of
// added at the end; copying each 48-column strip of the depth block into a dense 48-wide buffer
// (its rows then in different sets) just before its tiles: 67–72 %; prefetching (T0) the tile's
// own column of B 2, 4 or 8 rows ahead of each step, so the lines evicted since the previous tile
// are back in L1 when needed: 78–81 / 79–82 % against 79–80 / 81–82 %, no gain.
// What a conflict-free B would be worth, and what producing it costs (64 experts of 64 rows × 512 ×
// 2048, 1 thread, in-process, rotating order, 11 rounds a run; the 64×6 kernel as is): B copied
// beforehand (outside the timing) tile by tile, each tile's KC × 6 values contiguous, ran
// 1.06–1.13× this path (18 runs); the same tiles held over all of K (Ã, 128 KB, from L2; no Cᵀ
// round trips) 1.05–1.14× (25 runs), so it is B's layout that pays, not the round trips; B copied
// beforehand with rows 2064 floats apart 0.99–1.16×, most runs 1.02–1.07× (20 runs). Producing a
// copy of the next depth block during the current block's tiles, into a second buffer (two runs or
// more each): tiled, a tile's 32 rows at a time, 0.70–0.72×; tiled, along the block's 256 KB in
// order (12 lines prefetched and 32 pieces copied per tile), 0.79–0.83×; in strips of 96 columns
// (rows 96 floats apart, so whole lines copied, 12 per tile; every tile width divides 96),
// prefetched 2–16 tiles ahead 0.81–0.88×, not prefetched 0.75×. Taken apart on the strips: with
// neither the copy nor the next block's reads (wrong results) 1.16×; the next block prefetched but
// not copied 0.98×; copied from a source already in cache 0.90–0.92×. So moving B once more through
// L2 costs more than the conflict (not pinned down; the tiles' Cᵀ round trips already keep L2
// busy). Keeping expert weights in such a layout instead would not pay either: training reads W in
// this form once per step (dX = dY·W; the forward reads Wᵀ), and the copy is a pass over all of it.
// Tried against the stride and dropped: reading B's next depth block into L2 in sequence while
// the current one is used (0.72–0.92), copying it into a padded buffer (0.71–0.93 at once,
// 0.55–0.89 interleaved with the tiles), staggering the in-row prefetch (0.79–0.99), and
// prefetch hints T0, T2 or NTA instead of T1 (neutral, NTA 0.67–0.83).
// Also dropped (64 experts × 512 × 2048, in-process, rotating order, old time / new): at KC 32 a
// 16-column tile's step is half as long as at KC 64, so its prefetch distance was retried longer
// (16×16: 4 or 6 lines; 32×12: 4 lines; residual: 4 tiles): 16-row experts 0.94–0.98, others
// 0.95–1.06, so two lines stay. Running every row group (and the residual rows) over one chunk
// of 96–768 columns before the next chunk, instead of each group over all 2048 columns, so that
// the compute-bound later groups overlap the first group's reads from memory: 0.93–1.03 on
// 1 and 2 threads, no gain. A 21-row expert costs about what a 32-row one does (530–560 µs
// against 570, 16 rows 420): its 16-row group waits on memory, then its 5 residual rows compute
// from L2, and neither ordering overlaps the two. Prefetching the next tile's Cᵀ columns (to
// L1) before each tile: 0.95–0.98 on 1 and 2 threads (21-, 64- and 109-row experts, uneven);
// the current tile's, one line per depth step from its first or ninth step: 0.95–0.99.
// The Cᵀ block (at most 2048 × 192 floats, 1.5 MB; 512 KB for 64 rows) stays in L2 between depth
// blocks, and so does B's depth block (KC rows of the block's columns) for the second and third
// row groups of an expert with more than 64 tokens. Column blocks of 512 measured 10–15 % slower
// than 2048: each new block starts KC new rows of B whose first lines nothing has prefetched.
//
// Where the rest of the time goes, for experts of 48 rows and more (they level off at about
// 88 % of a single 4096-row product's rate; 1 thread, in-process, old time / new): skipping the
// final transposition into C (wrong results, timing only) 1.03–1.07, and not reloading the Cᵀ
// tiles between depth blocks 1.03–1.06; all 64 experts sharing one B (so it comes from L3, not
// memory) only 1.02–1.05; all operands in 2 MB pages (madvise, so a tile's 32 rows of B share
// one TLB entry instead of 32) 1.00–1.03, and the single product gains as much. So the Cᵀ
// round trips, not B's bandwidth or its pages, hold the level. Tried
// against them and dropped:
//   - accumulators started from the Cᵀ tile instead of zero, plain store at the end (the 64×6
//     kernel alone, B and Cᵀ walking as in a product): 0.94–0.96;
//   - every other tile walking the depth block backwards, so that the last rows' B lines are
//     still in L1 for the next tile: 0.98–1.02;
//   - the transposition with non-temporal full-line stores (β = 0): 0.99–1.03; with 16×16
//     AVX-512 transposes (64 shuffles and 16 full-line stores per 256 floats, against 96 and 32
//     in 8×8 blocks): 0.99–1.00, so the time is C's writes themselves, not the shuffles;
//   - transposing each finished run of 16–1024 columns during the last depth block, from L1,
//     instead of the whole block after it: 0.93–0.99;
//   - prefetching C's lines during the last 1–4 depth blocks, so the transposition stores hit
//     L2 (alone 0.99–1.01, with the chunked transposition 0.98–1.01);
//   - leaving each expert's finished Cᵀ block in a second buffer and writing it into C a chunk
//     of 128 columns per depth block of the next expert, behind that expert's tiles: 0.95–0.97;
//   - column blocks of 96–480 with Ã packed once for all of K, so that a block's Cᵀ stays in
//     L1: 0.76–0.96 (B's rows are then read in short runs);
//   - KC 128 and 256, remeasured: 64-row experts 0.94 and 0.79, 21-row 0.62 and 0.49; with
//     B in 2 MB pages (so not the TLB's doing) KC 64 and 128 ran 0.98–1.02 and 0.85 of KC 32.
//     With the sweep (StreamedBSweep, one chunk ahead at KC 128), KC 128 against 64 in separate
//     processes, alternating, four runs each, % of one 4096-row product for the uneven 64 experts:
//     1 thread 88.6–90.2 against 88.1–88.8, 2 threads 85.4–89.4 against 83.9–91.5 (64-, 88- and
//     110-row experts 1–2 points up on 1 thread, level on 2). Not taken: the bar that is short is
//     on 2 threads, and KC sets the rounding of every streamed product.
// Overlapping a small expert's wait on memory with a large one's compute, by running the two in
// step (each depth block of the large one, then the same block of the small one) with the large
// one's tiles prefetching the small one's block of B into L2: 21 + 64, 16 + 48, 21 + 107 and
// 16 + 112 rows 0.93–0.96 (in step without the prefetch 0.96: two Cᵀ blocks and two B blocks
// crowd L2), and on the uneven 64 experts 0.99–1.00.
// Every expert cut into 16-row groups on the 16×16 tile instead (each B line then feeds one tile
// only, so it needs no reuse from L1 and KC could grow to cut the Cᵀ round trips): uneven
// 64 experts 0.77 at KC 32, 0.64 at 64, 0.55 at 128, 0.48 at 256 (64-row experts 0.77–0.53;
// 1 thread, old time / new). Deeper blocks only lose: each tile then walks more rows of B.
// The plain orientation with B still read in place, and so no transposed C at all: an 8×32 tile
// (C's rows across registers, two vectors of a B row per step, B's row p + 2…16 prefetched to
// L1 and the next 32 columns' rows to L2 during the current ones), KC 64–256: 0.72–0.79× this
// path on 64 experts × 512 × 2048 (uneven, 64 rows and 21 rows, 1 thread), and 0.81–0.86× with
// B's rows 2080 floats apart. Each B line then goes from L2 to registers once per 8 rows instead
// of once per expert.
// The packed few-rows path with its copy of B folded into the tiles (the first tile down each
// column of tiles reads B's rows and stores B̃ as it goes, as PackedGemm.FillingTiles.cs does for
// many rows; the next block's source prefetched into L2 as before): 64 experts × 512 × 2048,
// 1 thread, 64-row experts 0.78–0.79× this path, 22-row 0.55–0.69×, uneven 0.74–0.81× (0.78–0.81×
// without the fill); 2 threads, uneven 0.83× (0.82×). Packing B was not what held that path back.
// An expert of 17–24 rows (one 16-row group and the residual rows) runs both in one pass over B
// (StreamedBGroupWithResidualKernel): 1.04–1.14× for 17–24 rows, 0.99–1.03× on the uneven
// 64 experts. The same fused pass for the last 16 rows of 81–88-row experts (64 + 16 + residual
// instead of 48 + 32 + residual, two passes over B instead of three; bit-identical): 87 and
// 88 rows 0.98–1.03, uneven 0.99–1.01 (1 and 2 threads, two runs).
// What memory allows (1 thread unless said; a probe reading 64 experts' 256 MB of weights): one
// core streams B at 11–14 GB/s when 32 rows are read together with the in-row prefetch, and 16
// FMAs per line do not slow it; 64, 128 and 512 rows read together drop it to 8, 5–6 and 4–5 GB/s
// (so KC stays small); two cores stream 17–25 GB/s together. The same probe with a Cᵀ tile's load
// and store per 32 lines streams as fast. Experts of 16–21 rows reach 8–10 GB/s (2 threads
// together: 11–13). If each expert took the longer of its B's read time and its tiles' time at
// the 64-row rate, the uneven 64 experts would run at about 88 % of one 4096-row product; they
// run at 77–80 %. Prefetching, from the last tiles of each depth block, the first columns of the
// next block (or of the next expert's B) instead of lines already read: 0.98–1.05 on 1 and
// 2 threads (21-, 43- and 64-row experts, uneven), no gain.
// For scale, a plain sequential read (a C probe, 512-bit loads summed into one register over
// 256 MB) runs 38 GB/s on one core and 41 GB/s on two, and B read a line per row of the tile's
// 64 rows gets about a third of that on one core (wider reads do better: see below). Tried
// against that on the Zen 5 and
// dropped (in-process, old time / new, 11–21 alternating rounds, 1 and 2 threads; experts of 22,
// 64, 66 and 110 rows and the uneven 64): each tile prefetching (T1 or T2) its share of the next
// 384-column chunk row by row (24 consecutive lines of a row at a time, so memory sees runs
// along rows), with or without the in-row prefetch: 0.61–0.89; the in-row prefetch 3, 4 or 6
// lines ahead on 2 threads: 0.994–1.010; column blocks of 768 or 1024 (the Cᵀ block and B's
// depth block then fit L2 together): 0.96–1.01. The C writes were also moved off each expert's
// end: its Cᵀ block left in a second buffer and transposed 16 × 16 at a time (four 8 × 8
// transposes, 16 full-line non-temporal stores), one piece before each tile of the thread's next
// expert, so the writes overlap that expert's FMAs: 0.98–1.01 (bit-identical); the same inside
// the 64×6 tile's loop, two elements a depth step (integer loads from Cᵀ, movnti into C; passed
// in by reference, as thread-static fields read in the kernel made the JIT spill every
// accumulator and ran 0.46–0.55×): 64- to 110-row experts 0.98–1.00, uneven 0.97 (its experts
// without a 64-row group leave it to a flush after them); and one store fence per thread at the
// end of the batch instead of one per transposition: 0.994–1.003. What B from memory costs,
// pinned down (the uneven 64 experts, all reading the first expert's B instead, so it comes from
// cache; wrong results, timing only): 1.056× on 1 thread, 1.097× on 2 (22-row experts 1.08 and
// 1.15, 110-row 1.05 and 1.04); the transposition skipped 1.03 on both; Cᵀ not reloaded 1.02 and
// 1.01. A C probe of the tiles' reads of B (64 rows 8 KB apart, the in-row prefetch) with 20–24
// FMAs a step reads 14–22 GB/s on one core at a 16-column tile and 26–37 GB/s on two; without
// the FMAs, tiles 32, 64 and 128 columns wide read 19–22, 28–32 and 38–43 GB/s on one core (64
// and 128: 42–49 and 53–59 on two), but a 16-row tile holds 16 columns at most; issuing the same
// prefetches as bursts along rows instead (2, 4 or 8 lines of a row at once, every 2nd, 4th or 8th
// tile) read 1.03–1.16× as fast on one core at 2 lines, 0.74–1.01 at 4 and 8, and 0.56–0.89 on two.
// Nor did reading ahead across experts pay: each tile prefetching 4–16 lines of the B of the
// expert 1 (1 thread) or 2 (2 threads) places on in the batch, so that it would come from L3:
// 0.94–1.00 (T1, T2 or NTA; the lines pass through L2, which the running expert fills).
// Nor did letting the residual rows' tiles, which read 32 (or 128) columns of a row at once, run
// first in each chunk, so that they pull it from memory and the groups read it from L2: 44-,
// 66-, 88- and 110-row experts 0.67–0.91, uneven 0.83 (1 and 2 threads); nor every other depth
// block taking its chunks right to left, so that it starts on the Cᵀ columns the block before
// just left in L2: 0.97–1.00 (bit-identical). And a plain-orientation design built around the
// wide reads, probed in C (gcc -O3) before writing it here: 3 × 128 tiles (24 zmm; B read 8 lines
// of a row a step), each (128-column strip, depth block) copied by its first tile into an L1
// buffer the expert's other row triples read, the next block prefetched in row order, C's strip
// accumulated in a contiguous buffer and streamed into C from the last block (no transposition):
// 22-row experts, the uneven 64 and 110-row experts at 159, 193 and 204 GFLOP/s on 1 thread and
// 292, 374 and 392 on 2, below this path (about 186, 220 and 225; 328, 415 and 425); with B
// already in the buffer (wrong results) its tiles reached only 188–208 on 1 thread.
// Experts of more than 100 (or 60) rows on the many-rows path instead (12 × 32 tiles, KC 512, B̃
// filled by the first row of tiles; 1 thread, old time / new, 15 rounds): 64 experts of 108 rows,
// nine whole row panels, 1.03–1.04× (four runs); of 107 rows 0.95× (its last panel is 11 rows);
// of 86 and 65 rows 0.94× and 0.84×; the uneven 64 experts 0.95–1.02× from 100 rows (three runs),
// 0.90× from 60. Remeasured from 60 rows, % of one 4096-row product, this path → the many-rows
// path (11 rounds): 1 thread 64 rows 89.8 → 81.9, 72 rows 89.1 → 87.3, 84 rows 88.3 → 88.8, 88
// rows 90.5 → 87.5, 96 rows 90.2 → 89.9, 108 rows 89.5 → 91.7, 110 rows 89.4 → 89.3; 2 threads
// 88.0 → 77.6, 87.2 → 80.5, 84.5 → 82.2, 88.0 → 83.9, 88.2 → 85.8, 90.7 → 91.3, 89.6 → 87.3.
// The rows that do not fill a vector cost little: experts of 44 rows run as 32 + 12 residual rows
// (1.07× faster than padded to 48 on the Zen 5; remeasured, 42–44-row experts 1.06–1.09× on 1
// thread and 1.05–1.10× on 2, though padded they take one pass over B instead of two).
//
// Row groups are made of vectors of rows, so an expert's rows are padded to a multiple of 16
// (AVX-512) or 8 (AVX2), except that on AVX-512 the rows left after the last whole vector (up to
// 14; see StreamedBVector512.ResidualRows) run on the residual kernel at an eighth to seven
// eighths of a group's FMAs (its 2- to 14-row tiles). With the 8-row tile alone, against padding (in-process, old time / new): 64 experts of 65
// rows 1.14–1.19, of 21 rows 1.04–1.08, of 86 rows 1.01–1.06; the benchmark's uneven 64 experts
// 1.02–1.05 on 1 thread, 1.05 on 2. A rectangle is cut along rows only at multiples of 16, so the
// same rows go to the residual kernel whatever the thread count. The rounding differs from the
// packed path (KC 64 instead of 256) but, as there, each element is summed in the same order
// whatever the thread count (KC is fixed, and a rectangle keeps its chunks' columns).
//
// Measured against the packed path (in-process, alternating): AVX-512, 64 experts over 4096
// uneven rows × 512 × 2048: 1.10–1.29× on 1 thread, 1.13–1.26× on 2; one 48×512×2048 product
// 1.21×. AVX2 (the 6×16 packed kernel against 16×6 / 8×12 streamed): 64 experts 1.12–1.18× on
// 1 thread, 0.96–1.11× on 2; one 64×512×2048 product 1.12–1.17×; 64 experts × 2048 × 512
// 1.05–1.08×.
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SwitchNative.Devices.Cpu.Gemm;

/// <summary>The few-rows GEMM with B streamed in place.</summary>
internal static unsafe class StreamedBGemm
{
    /// <summary>KC: depth of a block (fixed, so the rounding does not depend on the thread count).</summary>
    public const int DepthBlock = 64;

    // Columns every row group and the residual rows run over before the next chunk (see the top
    // of the file): a multiple of every tile's width (6, 8, 12, 16 and 32).
    internal const int ColumnChunk = 384;

    /// <summary>NC: columns of C per transposed block.</summary>
    public const int ColumnBlock = 2048;

    /// <summary>Rows every family's row unit divides: where a product split along rows is cut.</summary>
    public const int RowSplit = 16;

    /// <summary>Floats of packed Ã a rectangle of <paramref name="rows"/> rows needs (any family).</summary>
    public static long PackedAFloats(int rows) => (long)PaddedRows(rows, RowSplit) * DepthBlock;

    /// <summary>Floats of the transposed C block a rectangle of <paramref name="rows"/> rows needs (any family).</summary>
    public static long TransposedCFloats(int rows) => (long)PaddedRows(rows, RowSplit) * ColumnBlock;

    private static int PaddedRows(int rows, int unit) => (rows + unit - 1) / unit * unit;

    /// <summary>Computes one rectangle of a product: C (+)= α·op(A)·op(B) over its rows and columns.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run<TFamily>(GemmRectangle rectangle, float* packedA, float* transposedC) where TFamily : IStreamedBFamily
    {
        var problem = rectangle.Problem;
        var b = problem.B;
        if (b.Transposed) throw new ArgumentException("the streamed GEMM reads a row-major B", nameof(rectangle));
        long rowStride = b.Columns;
        int rows = rectangle.RowCount;
        // Rows past the last whole vector: a padded group, or, when few enough, the residual
        // kernel (after the groups, in the next rows of the packed Ã and of the C block).
        int leftover = rows % TFamily.RowUnit;
        int residual = leftover > 0 && leftover <= TFamily.ResidualRows(rows - leftover) ? leftover : 0;
        int paddedRows = residual > 0 ? rows - residual : PaddedRows(rows, TFamily.RowUnit);
        int columnEnd = rectangle.ColumnStart + rectangle.ColumnCount;
        for (int jc = rectangle.ColumnStart; jc < columnEnd; jc += ColumnBlock)
        {
            int nc = Math.Min(ColumnBlock, columnEnd - jc);
            for (int pc = 0; pc < problem.K; pc += DepthBlock)
            {
                int kc = Math.Min(DepthBlock, problem.K - pc);
                bool accumulate = pc > 0;
                float* source = b.Data + pc * rowStride + jc;
                // The residual rows' Ã panel follows the groups'.
                float* residualPanel = packedA + (long)paddedRows * kc;
                if (residual > 0 && residual <= StreamedBGroupWithResidualKernel.ResidualRows && paddedRows == StreamedBGroupWithResidualKernel.GroupRows)
                {
                    // One 16-row group and the residual rows (so AVX-512: only its family has
                    // residual rows): both in one pass over B (see StreamedBGroupWithResidualKernel).
                    GemmPacking.PackA(problem.A, rectangle.RowStart, paddedRows, pc, kc, problem.Alpha, paddedRows, packedA);
                    int fusedRows = ResidualTileRows(residual);
                    GemmPacking.PackA(problem.A, rectangle.RowStart + paddedRows, residual, pc, kc, problem.Alpha, fusedRows, residualPanel);
                    float* fusedBlock = transposedC + (long)paddedRows * nc;
                    // The pass waits on B; ask now for the next block's A, which its packing would wait on.
                    if (pc + DepthBlock < problem.K) PrefetchPanelSource(problem.A, rectangle.RowStart, rows, pc + DepthBlock, Math.Min(DepthBlock, problem.K - pc - DepthBlock));
                    if (fusedRows == 2) RunGroupWithResidual<ResidualRows2>(kc, packedA, residualPanel, source, rowStride, nc, transposedC, fusedBlock, accumulate);
                    else if (fusedRows == 4) RunGroupWithResidual<ResidualRows4>(kc, packedA, residualPanel, source, rowStride, nc, transposedC, fusedBlock, accumulate);
                    else if (fusedRows == 6) RunGroupWithResidual<ResidualRows6>(kc, packedA, residualPanel, source, rowStride, nc, transposedC, fusedBlock, accumulate);
                    else RunGroupWithResidual<ResidualRows8>(kc, packedA, residualPanel, source, rowStride, nc, transposedC, fusedBlock, accumulate);
                    continue;
                }
                // Each row group packs its Ã micro-panel, and the residual rows theirs in the
                // narrowest tile that holds them (its FMAs grow with its rows); then every group
                // and the residual rows run over one chunk of columns before the next chunk.
                int tileRows = ResidualTileRows(residual);
                for (int groupStart = 0; groupStart < paddedRows;)
                {
                    int groupRows = TFamily.GroupRows(paddedRows - groupStart);
                    GemmPacking.PackA(problem.A, rectangle.RowStart + groupStart, Math.Min(groupRows, rows - groupStart), pc, kc, problem.Alpha, groupRows, packedA + (long)groupStart * kc);
                    groupStart += groupRows;
                }
                if (residual > 0) GemmPacking.PackA(problem.A, rectangle.RowStart + paddedRows, residual, pc, kc, problem.Alpha, tileRows, residualPanel);
                for (int chunk = 0; chunk < nc; chunk += ColumnChunk)
                {
                    int columns = Math.Min(ColumnChunk, nc - chunk);
                    for (int groupStart = 0; groupStart < paddedRows;)
                    {
                        int groupRows = TFamily.GroupRows(paddedRows - groupStart);
                        // The group's Cᵀ block holds column j at j·groupRows.
                        float* block = transposedC + (long)groupStart * nc + (long)chunk * groupRows;
                        // The first group reads the chunk from memory; a tall one's tiles also
                        // sweep a chunk further on into L2 (see StreamedBSweep).
                        int sweptRows = 0;
                        float* swept = groupStart == 0 && groupRows >= StreamedBSweep.SweepingGroupRows ? StreamedBSweep.ChunkAhead(b, problem.K, jc, nc, pc, chunk, out sweptRows) : null;
                        TFamily.RunGroup(groupRows, kc, packedA + (long)groupStart * kc, source + chunk, rowStride, columns, block, accumulate, swept, sweptRows);
                        groupStart += groupRows;
                    }
                    if (residual == 0) continue;
                    float* residualBlock = transposedC + (long)paddedRows * nc + chunk;
                    if (tileRows == 2) RunResidual<ResidualRows2>(kc, residualPanel, source + chunk, rowStride, columns, residualBlock, nc, accumulate);
                    else if (tileRows == 4) RunResidual<ResidualRows4>(kc, residualPanel, source + chunk, rowStride, columns, residualBlock, nc, accumulate);
                    else if (tileRows == 6) RunResidual<ResidualRows6>(kc, residualPanel, source + chunk, rowStride, columns, residualBlock, nc, accumulate);
                    else if (tileRows == 8) RunResidual<ResidualRows8>(kc, residualPanel, source + chunk, rowStride, columns, residualBlock, nc, accumulate);
                    else if (tileRows == 10) RunResidual<ResidualRows10>(kc, residualPanel, source + chunk, rowStride, columns, residualBlock, nc, accumulate);
                    else if (tileRows == 12) RunResidual<ResidualRows12>(kc, residualPanel, source + chunk, rowStride, columns, residualBlock, nc, accumulate);
                    else RunResidual<ResidualRows14>(kc, residualPanel, source + chunk, rowStride, columns, residualBlock, nc, accumulate);
                }
            }
            for (int groupStart = 0; groupStart < paddedRows;)
            {
                int groupRows = TFamily.GroupRows(paddedRows - groupStart);
                float* target = problem.C + (long)(rectangle.RowStart + groupStart) * problem.N + jc;
                TransposedCWriter.WriteTransposed(transposedC + (long)groupStart * nc, groupRows, target, problem.N, Math.Min(groupRows, rows - groupStart), nc, problem.Beta != 0f, problem.StreamsC);
                groupStart += groupRows;
            }
            for (int i = 0; i < residual; i++)
            {
                var sums = new ReadOnlySpan<float>(transposedC + (long)(paddedRows + i) * nc, nc);
                var target = new Span<float>(problem.C + (long)(rectangle.RowStart + paddedRows + i) * problem.N + jc, nc);
                if (problem.Beta != 0f) TensorPrimitives.Add(target, sums, target);
                else sums.CopyTo(target);
            }
        }
    }

    // Every tile of one row group across the nc columns: full tiles straight from B, a ragged
    // last tile from a zero-padded copy of its columns (same kernel, so the same rounding). The
    // full tiles share out the sweep of sweptRows rows of B at sweptChunk (null: none) among
    // them (StreamedBSweep.ForTile).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void RunGroup<TKernel>(int kc, float* panel, float* source, long rowStride, int nc, float* block, bool accumulate, float* sweptChunk, int sweptRows)
        where TKernel : IStreamedBKernel
    {
        int height = TKernel.Rows;
        int j = 0;
        int tiles = nc / TKernel.Columns;
        for (int index = 0; j + TKernel.Columns <= nc; j += TKernel.Columns, index++)
            TKernel.Run(kc, panel, source + j, rowStride, PrefetchAhead, StreamedBSweep.ForTile(sweptChunk, rowStride, sweptRows, index, tiles), block + (long)j * height, accumulate);
        if (j == nc) return;
        int columns = nc - j;
        float* padded = stackalloc float[DepthBlock * TKernel.Columns];
        CopyRaggedColumns(source + j, rowStride, kc, columns, TKernel.Columns, padded);
        float* tile = stackalloc float[TKernel.Columns * height];
        TKernel.Run(kc, panel, padded, TKernel.Columns, 0, StreamedBSweep.None, tile, accumulate: false);
        float* target = block + (long)j * height;
        for (int i = 0; i < columns * height; i++) target[i] = accumulate ? target[i] + tile[i] : tile[i];
    }

    // A 16-row group's tiles and the residual rows' across the nc columns, in one pass: full
    // tiles on the fused kernel, the ragged last columns on each one's own kernel (same sums).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RunGroupWithResidual<TRows>(int kc, float* panel, float* residualPanel, float* source, long rowStride, int nc, float* block, float* residualBlock, bool accumulate)
        where TRows : struct, IResidualRowCount
    {
        const int height = StreamedBGroupWithResidualKernel.GroupRows, width = StreamedBGroupWithResidualKernel.Columns;
        int j = 0;
        for (; j + width <= nc; j += width)
            StreamedBGroupWithResidualKernel.Run<TRows>(kc, panel, residualPanel, source + j, rowStride, PrefetchAhead, block + (long)j * height, residualBlock + j, nc, accumulate);
        if (j == nc) return;
        RunGroup<StreamedBKernel16x16>(kc, panel, source + j, rowStride, nc - j, block + (long)j * height, accumulate, null, 0);
        RunResidual<TRows>(kc, residualPanel, source + j, rowStride, nc - j, residualBlock + j, nc, accumulate);
    }

    // Prefetches (to L2) the lines of op(A)[rowStart.., depthStart..] (rows × depth) that packing
    // that block of Ã will read. Only the fused 17–24-row pass does so, for its next depth block:
    // the pass is long beside its 88–96 lines of A, and waits on B anyway. In-process, old time /
    // new, 64 experts × 512 × 2048 (two runs, 1 and 2 threads): 22 rows 1.010–1.028, 18 rows
    // 1.003–1.067, the uneven experts 0.998–1.005. For taller experts it did not pay (see
    // GemmPacking.PackA).
    private static void PrefetchPanelSource(GemmOperand a, int rowStart, int rows, int depthStart, int depth)
    {
        if (!Sse.IsSupported) return;
        // Stored [M, K]: `rows` runs of `depth` floats; stored [K, M] (op(A) = Aᵀ): `depth` runs of `rows`.
        int runs = a.Transposed ? depth : rows, length = a.Transposed ? rows : depth;
        float* start = a.Transposed ? a.Data + (long)depthStart * a.Rows + rowStart : a.Data + (long)rowStart * a.Columns + depthStart;
        long stride = a.Transposed ? a.Rows : a.Columns;
        for (int run = 0; run < runs; run++)
        {
            float* first = start + run * stride;
            for (nint line = (nint)first & ~(nint)63, end = (nint)(first + length); line < end; line += 64) Sse.Prefetch1((void*)line);
        }
    }

    // The narrowest residual tile that holds the rows (its FMAs and its Ã broadcasts grow with its rows).
    private static int ResidualTileRows(int residual) => (residual + 1) & ~1; // 2, 4, …, 14: the tile heights

    // The residual rows' tiles across nc columns, into a row-major block of R rows, blockStride
    // floats apart: full tiles straight from B, a ragged last tile from a zero-padded copy of its
    // columns. 1–2 rows on the 2×128 tile: in-process, 64 experts × 512 × 2048 (three runs, 1
    // thread, % of one 4096-row product), 65 rows 81 % → 84–85 %, 66 rows 82–83 % → 85–86 %, the
    // uneven 64 experts 83–84 % → 85 %.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RunResidual<TRows>(int kc, float* panel, float* source, long rowStride, int nc, float* block, long blockStride, bool accumulate)
        where TRows : struct, IResidualRowCount
    {
        const int width = StreamedBResidualKernel.Columns;
        int rows = TRows.Rows;
        int j = 0;
        // Two rows run 128 columns a tile where the columns allow (see RunTwoRows), the same sums.
        if (rows == 2)
            for (; j + StreamedBResidualKernel.TwoRowColumns <= nc; j += StreamedBResidualKernel.TwoRowColumns)
                StreamedBResidualKernel.RunTwoRows(kc, panel, source + j, rowStride, TwoRowPrefetchAhead, block + j, blockStride, accumulate);
        for (; j + width <= nc; j += width)
            StreamedBResidualKernel.Run<TRows>(kc, panel, source + j, rowStride, ResidualPrefetchAhead, block + j, blockStride, accumulate);
        if (j == nc) return;
        int columns = nc - j;
        float* padded = stackalloc float[DepthBlock * width];
        CopyRaggedColumns(source + j, rowStride, kc, columns, width, padded);
        float* tile = stackalloc float[StreamedBResidualKernel.MaximumRows * width];
        StreamedBResidualKernel.Run<TRows>(kc, panel, padded, width, 0, tile, width, accumulate: false);
        for (int i = 0; i < rows; i++)
            for (int c = 0; c < columns; c++)
            {
                float* target = block + i * blockStride + j + c;
                *target = accumulate ? *target + tile[i * width + c] : tile[i * width + c];
            }
    }

    // padded[p·width + c] = source[p·rowStride + c] for c < columns, 0 for columns ≤ c < width: a
    // ragged last tile's columns of B, zero-padded so the full-width kernel can run on them.
    private static void CopyRaggedColumns(float* source, long rowStride, int kc, int columns, int width, float* padded)
    {
        for (int p = 0; p < kc; p++)
            for (int c = 0; c < width; c++)
                padded[p * width + c] = c < columns ? source[p * rowStride + c] : 0f;
    }

    // The residual tile reads 32 columns of each row of B; it prefetches two tiles on.
    private const long ResidualPrefetchAhead = 2 * StreamedBResidualKernel.Columns;

    // The 2×128 tile prefetches two of its tiles on as well (one line of the eight it reads a row).
    private const long TwoRowPrefetchAhead = 2 * StreamedBResidualKernel.TwoRowColumns;

    // Floats past the broadcast values that each kernel step prefetches in the same row of B:
    // two lines on, 2–3 tiles ahead. A tile's KC steps read KC rows a row stride apart, more streams
    // than the hardware prefetchers follow. In-process A/B over 64 experts of 32 rows (the most
    // bandwidth-bound case: 2 FMAs per value of B), at KC 64: 0 → 48–71 GFLOP/s, 1 line → 62–90,
    // 2 → 91–106, 4 → 86–101, 8 → 75–103, 16 → 67–88; 64-row experts: 1–8 lines all alike.
    // Rechecked on the Xeon at KC 32 (1 thread, one process per setting, two runs; old time / new, 2 lines →
    // none): 22-row experts 0.72–0.74, 64-row 0.94, the uneven 64 experts 0.90–0.91.
    private const long PrefetchAhead = 32;
}
