// Dispatch, combine, grouped GEMMs and the dropout mask on host devices: validation here, the
// per-row kernels in each device. The grouped GEMMs default to one GEMM kernel call per group
// (correct for every host device); a device may override them with a joint schedule.
using SwitchNative.Random;
using SwitchNative.Tensors;

namespace SwitchNative.Devices.Host;

public abstract partial class HostDevice
{
    /// <inheritdoc/>
    public void Dispatch(Tensor x, Tensor rowToken, Tensor? rowScale, Tensor expertInput)
    {
        OpChecks.HasShape(x, nameof(x), -1, -1);
        int tokens = x.Shape[0], width = x.Shape[1];
        int rows = checked((int)rowToken.ElementCount);
        OpChecks.HasShape(expertInput, nameof(expertInput), rows, width);
        var tokenOfRow = I32(rowToken, nameof(rowToken));
        foreach (var token in tokenOfRow)
            if ((uint)token >= (uint)tokens) throw new ArgumentOutOfRangeException(nameof(rowToken), $"row token {token} is outside [0, {tokens})");
        if (rowScale is not null) OpChecks.HasCount(rowScale, nameof(rowScale), rows);
        DispatchKernel(F32(x, nameof(x)), tokenOfRow, rowScale is null ? default : F32(rowScale, nameof(rowScale)), F32(expertInput, nameof(expertInput)), width);
    }

    /// <summary>expertInput[r] = s_r·x[rowToken[r]]; an empty rowScale means s = 1.</summary>
    protected abstract void DispatchKernel(ReadOnlySpan<float> x, ReadOnlySpan<int> rowToken, ReadOnlySpan<float> rowScale, Span<float> expertInput, int width);

    /// <inheritdoc/>
    public void Combine(Tensor expertOutput, Tensor assignmentRow, Tensor? weights, Tensor y)
    {
        var (rows, width) = OpChecks.Combine(expertOutput, assignmentRow, y, nameof(y));
        if (weights is not null) OpChecks.SameShape(assignmentRow, nameof(assignmentRow), weights, nameof(weights));
        CombineKernel(F32(expertOutput, nameof(expertOutput)), AssignmentRows(assignmentRow, rows), weights is null ? default : F32(weights, nameof(weights)), F32(y, nameof(y)), assignmentRow.Shape[1], width);
    }

    /// <summary>y[t] = Σ_j w_tj·expertOutput[row_tj] over rows ≥ 0; an empty weights span means w = 1.</summary>
    protected abstract void CombineKernel(ReadOnlySpan<float> expertOutput, ReadOnlySpan<int> assignmentRow, ReadOnlySpan<float> weights, Span<float> y, int assignmentWidth, int width);

    /// <inheritdoc/>
    public void CombineGateGradient(Tensor expertOutput, Tensor assignmentRow, Tensor dy, Tensor dGates)
    {
        var (rows, width) = OpChecks.Combine(expertOutput, assignmentRow, dy, nameof(dy));
        OpChecks.SameShape(assignmentRow, nameof(assignmentRow), dGates, nameof(dGates));
        CombineGateGradientKernel(F32(expertOutput, nameof(expertOutput)), AssignmentRows(assignmentRow, rows), F32(dy, nameof(dy)), F32(dGates, nameof(dGates)), assignmentRow.Shape[1], width);
    }

    /// <summary>dGates[t, j] = ⟨expertOutput[row_tj], dy[t]⟩, 0 where row_tj = −1.</summary>
    protected abstract void CombineGateGradientKernel(ReadOnlySpan<float> expertOutput, ReadOnlySpan<int> assignmentRow, ReadOnlySpan<float> dy, Span<float> dGates, int assignmentWidth, int width);

    private ReadOnlySpan<int> AssignmentRows(Tensor assignmentRow, int rows)
    {
        var values = I32(assignmentRow, nameof(assignmentRow));
        OpChecks.AssignmentRows(values, rows);
        return values;
    }

    /// <inheritdoc/>
    public void GroupedGemm(Tensor a, Tensor b, bool transposeB, float alpha, float beta, Tensor c, ReadOnlySpan<int> rowOffsets)
    {
        var (_, n, k) = OpChecks.GroupedGemm(this, a, b, transposeB, c, rowOffsets);
        GroupedGemmKernel(View<float>(a), View<float>(b), transposeB, alpha, beta, View<float>(c), rowOffsets, n, k);
    }

    /// <summary>C_g = α·A_g·op(B[g]) + β·C_g for each row group; by default one GEMM per non-empty group.</summary>
    protected virtual void GroupedGemmKernel(ReadOnlySpan<float> a, ReadOnlySpan<float> b, bool transposeB, float alpha, float beta, Span<float> c, ReadOnlySpan<int> rowOffsets, int n, int k)
    {
        for (int group = 0; group + 1 < rowOffsets.Length; group++)
        {
            int first = rowOffsets[group], rows = rowOffsets[group + 1] - first;
            if (rows == 0) continue;
            GemmKernel(a.Slice(first * k, rows * k), false, b.Slice(group * n * k, n * k), transposeB, alpha, beta, c.Slice(first * n, rows * n), rows, n, k);
        }
    }

    /// <inheritdoc/>
    public void GroupedGemmWeightGradient(Tensor a, Tensor b, float alpha, float beta, Tensor c, ReadOnlySpan<int> rowOffsets)
    {
        var (m, n) = OpChecks.GroupedGemmWeightGradient(this, a, b, c, rowOffsets);
        GroupedGemmWeightGradientKernel(View<float>(a), View<float>(b), alpha, beta, View<float>(c), rowOffsets, m, n);
    }

    /// <summary>C[g] = α·A_gᵀ·B_g + β·C[g]; by default one GEMM per group.</summary>
    protected virtual void GroupedGemmWeightGradientKernel(ReadOnlySpan<float> a, ReadOnlySpan<float> b, float alpha, float beta, Span<float> c, ReadOnlySpan<int> rowOffsets, int m, int n)
    {
        for (int group = 0; group + 1 < rowOffsets.Length; group++)
        {
            int first = rowOffsets[group], rows = rowOffsets[group + 1] - first;
            GemmKernel(a.Slice(first * m, rows * m), true, b.Slice(first * n, rows * n), false, alpha, beta, c.Slice(group * m * n, m * n), m, n, rows);
        }
    }


    /// <inheritdoc/>
    public void DropoutMask(ulong seed, uint streamId, float probability, Tensor mask)
    {
        if (!(probability >= 0f && probability < 1f)) throw new ArgumentOutOfRangeException(nameof(probability), $"dropout probability must be in [0, 1), got {probability}");
        float keptValue = 1f / (1f - probability);
        FillRandom(F32(mask, nameof(mask)), index => PhiloxDistributions.Uniform(seed, streamId, index) < probability ? 0f : keptValue);
    }
}
