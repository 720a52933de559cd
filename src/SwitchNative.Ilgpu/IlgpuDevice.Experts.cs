// Mixture-of-experts ops on the ILGPU device: dispatch, combine and the grouped GEMMs as
// kernels; routing and the router backward on host copies through the shared host code.
using ILGPU;
using ILGPU.Runtime;
using SwitchNative.Devices;
using SwitchNative.Devices.Host;
using SwitchNative.Devices.Routing;
using SwitchNative.Tensors;

namespace SwitchNative.Ilgpu;

public sealed partial class IlgpuDevice
{
    /// <inheritdoc/>
    public RoutingStatistics Route(Tensor logits, RoutingRequest request, RoutingTensors outputs)
    {
        var (tokens, experts, width) = OpChecks.Route(logits, request, outputs);
        var host = new HostRouting(tokens, experts, width);
        var statistics = HostDevice.RouteOnHost(this.ToArray(logits), tokens, experts, request, host.Spans);
        host.CopyTo(this, outputs);
        return statistics;
    }

    /// <inheritdoc/>
    public void RouterBackward(RoutingTensors routing, Tensor dGates, RoutingRequest request, ReadOnlySpan<float> balanceGradient, float balanceScale, float zScale, Tensor dLogits)
    {
        var (tokens, experts) = OpChecks.RouterBackward(routing, dGates, request, balanceGradient, dLogits);
        var gradient = new float[tokens * experts];
        HostDevice.RouterBackwardOnHost(this.ToArray(routing.Probabilities), this.ToArray(routing.LogSumExp), this.ToArray<int>(routing.ExpertIndex),
            this.ToArray(routing.Gates), this.ToArray<int>(routing.Kept), this.ToArray(dGates), request, balanceGradient, balanceScale, zScale, gradient, tokens, experts);
        CopyFromHost<float>(gradient, dLogits);
    }

    /// <inheritdoc/>
    public void Dispatch(Tensor x, Tensor rowToken, Tensor? rowScale, Tensor expertInput)
    {
        OpChecks.HasShape(x, nameof(x), -1, -1);
        int tokens = x.Shape[0], width = x.Shape[1], rows = checked((int)rowToken.ElementCount);
        OpChecks.HasShape(expertInput, nameof(expertInput), rows, width);
        var tokenOfRow = I32(rowToken, nameof(rowToken));
        foreach (var token in HostInts(rowToken))
            if ((uint)token >= (uint)tokens) throw new ArgumentOutOfRangeException(nameof(rowToken), $"row token {token} is outside [0, {tokens})");
        if (rowScale is not null) OpChecks.HasCount(rowScale, nameof(rowScale), rows);
        var scale = rowScale is null ? tokenOfRow.Cast<float>() : F32(rowScale, nameof(rowScale));
        var (input, output) = (F32(x, nameof(x)), F32(expertInput, nameof(expertInput)));
        if (output.Length > 0) Kernels.Dispatch.Value(Count(output.Length), input, tokenOfRow, scale, rowScale is null ? 0 : 1, output, width);
    }

    /// <inheritdoc/>
    public void Combine(Tensor expertOutput, Tensor assignmentRow, Tensor? weights, Tensor y)
    {
        var (rows, width) = CheckCombine(expertOutput, assignmentRow, y, nameof(y));
        if (weights is not null) OpChecks.SameShape(assignmentRow, nameof(assignmentRow), weights, nameof(weights));
        var assignments = I32(assignmentRow, nameof(assignmentRow));
        var scale = weights is null ? assignments.Cast<float>() : F32(weights, nameof(weights));
        var (source, output) = (F32(expertOutput, nameof(expertOutput)), F32(y, nameof(y)));
        if (output.Length > 0) Kernels.Combine.Value(Count(output.Length), source, assignments, scale, weights is null ? 0 : 1, output, assignmentRow.Shape[1], width);
    }

    /// <inheritdoc/>
    public void CombineGateGradient(Tensor expertOutput, Tensor assignmentRow, Tensor dy, Tensor dGates)
    {
        var (_, width) = CheckCombine(expertOutput, assignmentRow, dy, nameof(dy));
        OpChecks.SameShape(assignmentRow, nameof(assignmentRow), dGates, nameof(dGates));
        var (source, assignments, upstream, gradient) = (F32(expertOutput, nameof(expertOutput)), I32(assignmentRow, nameof(assignmentRow)), F32(dy, nameof(dy)), F32(dGates, nameof(dGates)));
        if (gradient.Length > 0) Kernels.CombineGateGradient.Value(Count(gradient.Length), source, assignments, upstream, gradient, assignmentRow.Shape[1], width);
    }

    private (int Rows, int Width) CheckCombine(Tensor expertOutput, Tensor assignmentRow, Tensor tokens, string tokensName)
    {
        var (rows, width) = OpChecks.Combine(expertOutput, assignmentRow, tokens, tokensName);
        OpChecks.AssignmentRows(HostInts(assignmentRow), rows);
        return (rows, width);
    }

    /// <inheritdoc/>
    public void GroupedGemm(Tensor a, Tensor b, bool transposeB, float alpha, float beta, Tensor c, ReadOnlySpan<int> rowOffsets)
    {
        var (groups, n, k) = OpChecks.GroupedGemm(this, a, b, transposeB, c, rowOffsets);
        var (left, right, output) = (Words(a), Words(b), Words(c));
        for (int group = 0; group < groups; group++)
        {
            int first = rowOffsets[group], rows = rowOffsets[group + 1] - first;
            if (rows == 0) continue;
            GemmViews(left.SubView((long)first * k, (long)rows * k), false, right.SubView((long)group * n * k, (long)n * k), transposeB, alpha, beta, output.SubView((long)first * n, (long)rows * n), rows, n, k);
        }
    }

    /// <inheritdoc/>
    public void GroupedGemmWeightGradient(Tensor a, Tensor b, float alpha, float beta, Tensor c, ReadOnlySpan<int> rowOffsets)
    {
        var (m, n) = OpChecks.GroupedGemmWeightGradient(this, a, b, c, rowOffsets);
        var (left, right, output) = (Words(a), Words(b), Words(c));
        for (int group = 0; group < c.Shape[0]; group++)
        {
            int first = rowOffsets[group], rows = rowOffsets[group + 1] - first;
            var block = output.SubView((long)group * m * n, (long)m * n);
            if (rows == 0)
            {
                // An empty group contributes nothing: C[g] = β·C[g].
                if (beta != 1f && block.Length > 0) Kernels.Scale.Value(Count(block.Length), block, beta, block);
                continue;
            }
            GemmViews(left.SubView((long)first * m, (long)rows * m), true, right.SubView((long)first * n, (long)rows * n), false, alpha, beta, block, m, n, rows);
        }
    }

    // Host arrays for one routing call and their copy to the device tensors.
    private sealed class HostRouting(int tokens, int experts, int width)
    {
        private readonly float[] _probabilities = new float[tokens * experts], _logSumExp = new float[tokens], _gates = new float[tokens * width], _rowGate = new float[tokens * width];
        private readonly int[] _expertIndex = new int[tokens * width], _kept = new int[tokens * width], _slot = new int[tokens * width], _assignmentRow = new int[tokens * width], _rowToken = new int[tokens * width];

        public RoutingSpans Spans => new(_probabilities, _logSumExp, _expertIndex, _gates, _kept, _slot, _assignmentRow, _rowToken, _rowGate);

        public void CopyTo(IlgpuDevice device, RoutingTensors outputs)
        {
            device.CopyFromHost<float>(_probabilities, outputs.Probabilities);
            device.CopyFromHost<float>(_logSumExp, outputs.LogSumExp);
            device.CopyFromHost<int>(_expertIndex, outputs.ExpertIndex);
            device.CopyFromHost<float>(_gates, outputs.Gates);
            device.CopyFromHost<int>(_kept, outputs.Kept);
            device.CopyFromHost<int>(_slot, outputs.Slot);
            device.CopyFromHost<int>(_assignmentRow, outputs.AssignmentRow);
            device.CopyFromHost<int>(_rowToken, outputs.RowToken);
            device.CopyFromHost<float>(_rowGate, outputs.RowGate);
        }
    }
}
