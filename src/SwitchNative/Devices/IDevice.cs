// The op contract. Model code is written once against this interface; each device (reference
// loops, CPU SIMD, ILGPU) implements it. Argument order everywhere: sources, then arguments,
// then destinations. Tensors are contiguous and row-major; "rows" means all leading dimensions
// flattened and "columns" the last dimension.
//
// Letters: M, N, K are GEMM sizes; R rows, C columns of a row-wise op; B batch, S sequence,
// H heads, D model dim (D = H·hd), V vocabulary, T tokens.
using SwitchNative.Devices.Routing;
using SwitchNative.Tensors;

namespace SwitchNative.Devices;

/// <summary>Hyper-parameters of one AdamW step (Loshchilov and Hutter, decoupled weight decay).</summary>
/// <param name="LearningRate">η.</param>
/// <param name="Beta1">β₁, decay of the first moment.</param>
/// <param name="Beta2">β₂, decay of the second moment.</param>
/// <param name="Epsilon">ε added to √v̂.</param>
/// <param name="WeightDecay">λ; the decay is η·λ·θ, applied outside the adaptive scaling.</param>
public readonly record struct AdamWSettings(float LearningRate, float Beta1 = 0.9f, float Beta2 = 0.999f, float Epsilon = 1e-8f, float WeightDecay = 0f);

/// <summary>
/// A compute device: it owns memory and runs a fixed set of ops on tensors it owns.
/// Every op validates shapes and throws <see cref="ArgumentException"/> on a mismatch.
/// </summary>
public interface IDevice : IDisposable
{
    /// <summary>The registry name ("reference", "cpu", ...).</summary>
    string Name { get; }

    /// <summary>A one-line description (vector width, thread count, accelerator).</summary>
    string Description { get; }

    // ---- memory -------------------------------------------------------------------------

    /// <summary>Allocates a zero-filled tensor that owns its buffer.</summary>
    Tensor Allocate(Shape shape, DType dtype = DType.F32);

    /// <summary>Copies host values into <paramref name="destination"/> (element counts must match).</summary>
    void CopyFromHost<T>(ReadOnlySpan<T> source, Tensor destination) where T : unmanaged;

    /// <summary>Copies <paramref name="source"/> to host memory (element counts must match).</summary>
    void CopyToHost<T>(Tensor source, Span<T> destination) where T : unmanaged;

    /// <summary>Waits until all queued work is done (a no-op on synchronous devices).</summary>
    void Synchronize();

    // ---- basic ----------------------------------------------------------------------------

    /// <summary><c>destination[i] = source[i]</c>; same element count and dtype.</summary>
    void Copy(Tensor source, Tensor destination);

    /// <summary><c>destination[i] = value</c> (F32).</summary>
    void Fill(float value, Tensor destination);

    // ---- GEMM -----------------------------------------------------------------------------

    /// <summary>
    /// General matrix product <c>C = α·op(A)·op(B) + β·C</c> with op(X) = X or Xᵀ.
    /// op(A) is [M, K], op(B) is [K, N], C is [M, N]; A is stored [M, K] or, transposed, [K, M];
    /// B is stored [K, N] or, transposed, [N, K]. When β = 0, C is not read (NaNs in C vanish).
    /// </summary>
    void Gemm(Tensor a, bool transposeA, Tensor b, bool transposeB, float alpha, float beta, Tensor c);

    // ---- element-wise ---------------------------------------------------------------------

    /// <summary><c>destination = a + b</c> (same element counts; destination may alias a or b).</summary>
    void Add(Tensor a, Tensor b, Tensor destination);

    /// <summary><c>destination = a ⊙ b</c> (element-wise product).</summary>
    void Multiply(Tensor a, Tensor b, Tensor destination);

    /// <summary><c>destination = α·x</c>.</summary>
    void Scale(Tensor x, float alpha, Tensor destination);

    /// <summary><c>y += α·x</c> (BLAS axpy).</summary>
    void Axpy(Tensor x, float alpha, Tensor y);

    /// <summary><c>y = max(x, 0)</c>.</summary>
    void Relu(Tensor x, Tensor y);

    /// <summary><c>dx = dy · [x &gt; 0]</c>.</summary>
    void ReluBackward(Tensor x, Tensor dy, Tensor dx);

    /// <summary>
    /// GELU, tanh approximation: <c>y = ½x(1 + tanh(u))</c>, u = √(2/π)(x + 0.044715x³),
    /// evaluated as <c>x·σ(2u)</c>, which is the same function and cannot overflow.
    /// </summary>
    void Gelu(Tensor x, Tensor y);

    /// <summary><c>dx = dy · d/dx[½x(1 + tanh u)] = dy · (½(1 + tanh u) + ½x(1 − tanh²u)·u')</c>, u' = √(2/π)(1 + 3·0.044715x²).</summary>
    void GeluBackward(Tensor x, Tensor dy, Tensor dx);

    // ---- softmax --------------------------------------------------------------------------

    /// <summary>Row-wise stable softmax over the last dimension: <c>y_rc = exp(x_rc − max_r) / Σ_c exp(x_rc − max_r)</c>.</summary>
    void Softmax(Tensor x, Tensor y);

    /// <summary>Softmax backward from its output: <c>dx_rc = y_rc (dy_rc − Σ_c' y_rc' dy_rc')</c>.</summary>
    void SoftmaxBackward(Tensor y, Tensor dy, Tensor dx);

    // ---- normalization --------------------------------------------------------------------

    /// <summary>
    /// RMSNorm over the last dimension C: <c>ρ_r = 1/√(mean_c x_rc² + ε)</c>, <c>y_rc = x_rc·ρ_r·w_c</c>.
    /// Shapes: x, y [R, C]; weight [C]; reciprocalRms [R] (saved for backward).
    /// </summary>
    void RmsNorm(Tensor x, Tensor weight, float epsilon, Tensor y, Tensor reciprocalRms);

    /// <summary>
    /// RMSNorm backward: with g_c = dy_c·w_c, <c>dx_c = ρ·g_c − ρ³·x_c·(Σ_c' g_c' x_c')/C</c>;
    /// <c>dWeight_c += Σ_r dy_rc·x_rc·ρ_r</c> (accumulates).
    /// </summary>
    void RmsNormBackward(Tensor x, Tensor weight, Tensor reciprocalRms, Tensor dy, Tensor dx, Tensor dWeight);

    /// <summary>
    /// LayerNorm over the last dimension: <c>μ = mean x</c>, <c>σ⁻¹ = 1/√(var x + ε)</c> (biased variance),
    /// <c>y = (x − μ)σ⁻¹·w + b</c>. Shapes: x, y [R, C]; weight, bias [C]; mean, reciprocalStd [R].
    /// </summary>
    void LayerNorm(Tensor x, Tensor weight, Tensor bias, float epsilon, Tensor y, Tensor mean, Tensor reciprocalStd);

    /// <summary>
    /// LayerNorm backward: with x̂ = (x − μ)σ⁻¹ and g = dy·w, <c>dx = σ⁻¹(g − mean g − x̂·mean(g·x̂))</c>;
    /// <c>dWeight += Σ_r dy·x̂</c>, <c>dBias += Σ_r dy</c> (accumulate).
    /// </summary>
    void LayerNormBackward(Tensor x, Tensor weight, Tensor mean, Tensor reciprocalStd, Tensor dy, Tensor dx, Tensor dWeight, Tensor dBias);

    // ---- embedding ------------------------------------------------------------------------

    /// <summary><c>y[t, :] = table[ids[t], :]</c>. table [V, D] F32, ids [T] I32 in [0, V), y [T, D].</summary>
    void Embedding(Tensor table, Tensor ids, Tensor y);

    /// <summary><c>dTable[ids[t], :] += dy[t, :]</c> for every t (scatter-add; repeated ids sum).</summary>
    void EmbeddingBackward(Tensor ids, Tensor dy, Tensor dTable);

    // ---- loss -----------------------------------------------------------------------------

    /// <summary>
    /// Fused softmax + cross-entropy per row: <c>p = softmax(logits_t)</c>, <c>loss_t = logsumexp(logits_t) − logits_t[target_t]</c>.
    /// Rows whose target equals <paramref name="ignoreIndex"/> get loss 0.
    /// Shapes: logits, probabilities [T, V]; targets [T] I32; losses [T].
    /// </summary>
    void SoftmaxCrossEntropy(Tensor logits, Tensor targets, int ignoreIndex, Tensor probabilities, Tensor losses);

    /// <summary>
    /// <c>dLogits_t = scale·(p_t − onehot(target_t))</c>; zero for ignored rows. For a mean loss over
    /// n counted rows pass scale = 1/n. dLogits may alias probabilities.
    /// </summary>
    void SoftmaxCrossEntropyBackward(Tensor probabilities, Tensor targets, int ignoreIndex, float scale, Tensor dLogits);

    // ---- attention ------------------------------------------------------------------------

    /// <summary>
    /// Causal multi-head self-attention. qkv [B, S, 3D] holds q | k | v, each split into H heads of hd = D/H.
    /// <c>A_bhij = softmax_j≤i(q_bhi·k_bhj / √hd)</c> (zero for j &gt; i), <c>out_bhi = Σ_j A_bhij v_bhj</c>.
    /// attention [B, H, S, S] saves A for backward; output [B, S, D] (heads concatenated).
    /// </summary>
    void CausalAttention(Tensor qkv, int headCount, Tensor attention, Tensor output);

    /// <summary>
    /// Backward of <see cref="CausalAttention"/>: <c>dv_j = Σ_i A_ij dout_i</c>, <c>dA_ij = dout_i·v_j</c>,
    /// <c>dS = softmax-backward(A, dA)</c>, <c>dq_i = Σ_j dS_ij k_j/√hd</c>, <c>dk_j = Σ_i dS_ij q_i/√hd</c>. dQkv [B, S, 3D] is written.
    /// </summary>
    void CausalAttentionBackward(Tensor qkv, Tensor attention, Tensor dOutput, int headCount, Tensor dQkv);

    /// <summary>
    /// One query against a key/value cache (incremental decoding): for each head h,
    /// <c>out_h = Σ_j softmax_j(q_h·k_jh/√hd)·v_jh</c> over all L cached positions (the cache holds only the past, so
    /// no mask is needed). query, output [D]; keys, values [L, D].
    /// </summary>
    void AttentionDecode(Tensor query, Tensor keys, Tensor values, int headCount, Tensor output);

    // ---- optimizer ------------------------------------------------------------------------

    /// <summary>
    /// One AdamW step at 1-based <paramref name="step"/> t, element-wise over flat tensors:
    /// <c>m = β₁m + (1−β₁)g</c>, <c>v = β₂v + (1−β₂)g²</c>, <c>m̂ = m/(1−β₁ᵗ)</c>, <c>v̂ = v/(1−β₂ᵗ)</c>,
    /// <c>θ = θ − η(m̂/(√v̂ + ε) + λθ)</c>.
    /// </summary>
    void AdamW(Tensor gradients, AdamWSettings settings, int step, Tensor parameters, Tensor firstMoment, Tensor secondMoment);

    // ---- reductions -----------------------------------------------------------------------

    /// <summary><c>destination[0] = Σ_i x_i</c> (destination is a 1-element F32 tensor).</summary>
    void Sum(Tensor x, Tensor destination);

    /// <summary><c>destination[0] = Σ_i x_i²</c> (for global gradient norms).</summary>
    void SumOfSquares(Tensor x, Tensor destination);

    /// <summary><c>destination[0] = max_i x_i</c>; −∞ for an empty x.</summary>
    void Max(Tensor x, Tensor destination);

    // ---- random (Philox4x32-10, identical bits on every device) ---------------------------

    /// <summary>Element i gets U[low, high) from the Philox stream (seed, streamId); see <see cref="Random.PhiloxDistributions"/>.</summary>
    void FillUniform(ulong seed, uint streamId, float low, float high, Tensor destination);

    /// <summary>Element i gets mean + std·N(0, 1) from the Philox stream (seed, streamId).</summary>
    void FillNormal(ulong seed, uint streamId, float mean, float std, Tensor destination);

    /// <summary>Element i gets mean + std·z with z ~ N(0, 1) re-drawn until |z| ≤ 2 (truncated at 2σ).</summary>
    void FillTruncatedNormal(ulong seed, uint streamId, float mean, float std, Tensor destination);

    // ---- mixture of experts (spec/switch-layer.md) ----------------------------------------

    /// <summary>
    /// Routes T tokens among E experts from router logits [T, E] (float32): probabilities =
    /// softmax(logits), top-k choices (ties to the lower expert), gates, capacity per group, slot
    /// claiming (all first choices in token order, then all second choices, ...), and the
    /// expert-major row layout (expert, then group, then slot) that dispatch and combine use.
    /// Returns the row counts, capacities, load-balancing and z-loss statistics to the host.
    /// </summary>
    RoutingStatistics Route(Tensor logits, RoutingRequest request, RoutingTensors outputs);

    /// <summary>
    /// Router backward to the logits. With g_tj = dGates[t, j]·kept_tj:
    /// <c>dp[t, e_tj] += g_tj</c>, or with renormalized gates (k &gt; 1) <c>dp[t, e_tm] += (g_tm − Σ_j g_tj·gate_tj)/Σ_j p_t,e_tj</c>;
    /// <c>dp[t, i] += balanceScale·balanceGradient[group(t)·E + i]</c>;
    /// <c>dLogits = p ⊙ (dp − Σ_i p_i dp_i) + zScale·lse_t·p</c> (written).
    /// </summary>
    void RouterBackward(RoutingTensors routing, Tensor dGates, RoutingRequest request, ReadOnlySpan<float> balanceGradient, float balanceScale, float zScale, Tensor dLogits);

    /// <summary>
    /// Dispatch: <c>expertInput[r] = s_r·x[rowToken[r]]</c> for r &lt; R, with s_r = rowScale[r] or 1 when rowScale is null.
    /// x [T, d], rowToken [R] I32, rowScale [R], expertInput [R, d]. Its adjoint is <see cref="Combine"/>.
    /// </summary>
    void Dispatch(Tensor x, Tensor rowToken, Tensor? rowScale, Tensor expertInput);

    /// <summary>
    /// Combine: <c>y[t] = Σ_j w_tj·expertOutput[assignmentRow[t, j]]</c> over rows ≥ 0 (dropped: −1), with
    /// w = weights or 1 when weights is null; a token with no row gets 0. expertOutput [R, d], assignmentRow and weights [T, A], y [T, d] (written).
    /// </summary>
    void Combine(Tensor expertOutput, Tensor assignmentRow, Tensor? weights, Tensor y);

    /// <summary><c>dGates[t, j] = ⟨expertOutput[assignmentRow[t, j]], dy[t]⟩</c>, 0 for dropped assignments.</summary>
    void CombineGateGradient(Tensor expertOutput, Tensor assignmentRow, Tensor dy, Tensor dGates);

    /// <summary>
    /// Grouped GEMM over row groups g with rows [rowOffsets[g], rowOffsets[g + 1]):
    /// <c>C_g = α·A_g·op(B[g]) + β·C_g</c>. A [R, K]; B [G, N, K] when transposeB, else [G, K, N]; C [R, N].
    /// Groups may be empty. This is the expert product: one group per expert.
    /// </summary>
    void GroupedGemm(Tensor a, Tensor b, bool transposeB, float alpha, float beta, Tensor c, ReadOnlySpan<int> rowOffsets);

    /// <summary>
    /// Grouped weight-gradient GEMM: <c>C[g] = α·A_gᵀ·B_g + β·C[g]</c> with A [R, M] and B [R, N]
    /// split by the same row groups, C [G, M, N]. An empty group scales C[g] by β.
    /// </summary>
    void GroupedGemmWeightGradient(Tensor a, Tensor b, float alpha, float beta, Tensor c, ReadOnlySpan<int> rowOffsets);

    /// <summary>Inverted-dropout mask: element i is 0 when Philox uniform(seed, streamId, i) &lt; p, else 1/(1 − p).</summary>
    void DropoutMask(ulong seed, uint streamId, float probability, Tensor mask);
}
