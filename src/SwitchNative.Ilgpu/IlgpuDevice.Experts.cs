// Mixture-of-experts ops on the ILGPU device: routing (Kernels/RoutingKernels.cs), the router
// backward, dispatch, combine and the grouped GEMMs as kernels. Only the per-group row counts
// and statistics come back to the host (the expert GEMMs are scheduled from them).
using ILGPU;
using ILGPU.Runtime;
using SwitchNative.Devices;
using SwitchNative.Devices.Routing;
using SwitchNative.Ilgpu.Kernels;
using SwitchNative.Tensors;

namespace SwitchNative.Ilgpu;

public sealed partial class IlgpuDevice
{
    /// <inheritdoc/>
    public RoutingStatistics Route(Tensor logits, RoutingRequest request, RoutingTensors outputs)
    {
        var (tokens, experts, width) = OpChecks.Route(logits, request, outputs);
        int groupSize = request.GroupSize == 0 ? Math.Max(tokens, 1) : request.GroupSize;
        int groups = (tokens + groupSize - 1) / groupSize;
        bool expertChoice = request.Mode == RoutingMode.ExpertChoice;
        var arguments = new RoutingArguments(tokens, experts, width, request.TopK, request.Renormalize ? 1 : 0, expertChoice ? 1 : 0, request.CapacityFactor, request.MinCapacity, groupSize);
        using var tokenStatistics = _accelerator.Allocate1D<double>(Math.Max(3L * tokens, 1));
        using var counts = _accelerator.Allocate1D<int>(Math.Max((long)groups * experts, 1));
        using var firstChoices = _accelerator.Allocate1D<int>(Math.Max((long)groups * experts, 1));
        using var probabilitySums = _accelerator.Allocate1D<double>(Math.Max((long)groups * experts, 1));
        using var capacities = _accelerator.Allocate1D<int>(Math.Max(groups, 1));
        var (probabilities, expertIndex, gates, kept, slot) = (Words(outputs.Probabilities), I32(outputs.ExpertIndex, "expertIndex"), Words(outputs.Gates), I32(outputs.Kept, "kept"), I32(outputs.Slot, "slot"));
        if (tokens > 0)
        {
            Kernels.RouteTokens.Value(Count(tokens), F32(logits, nameof(logits)), probabilities, Words(outputs.LogSumExp), expertIndex, gates, tokenStatistics.View.AsContiguous(), arguments);
            Kernels.RouteGroups.Value(Count(groups), probabilities, expertIndex, kept, slot, counts.View.AsContiguous(), firstChoices.View.AsContiguous(), probabilitySums.View.AsContiguous(), capacities.View.AsContiguous(), arguments);
        }
        _accelerator.Synchronize();
        // The small per-group tables come back: the host needs the row counts to schedule the expert GEMMs.
        var groupCounts = counts.GetAsArray1D();
        var groupFirstChoices = firstChoices.GetAsArray1D();
        var sums = probabilitySums.GetAsArray1D();
        var groupCapacities = tokens == 0 ? [] : capacities.GetAsArray1D();
        var perToken = tokenStatistics.GetAsArray1D();

        var expertRowCounts = new int[experts];
        var offsets = new int[experts + 1];
        var rowStart = new int[Math.Max(groups * experts, 1)];
        for (int e = 0; e < experts; e++)
        {
            int running = offsets[e];
            for (int group = 0; group < groups; group++)
            {
                rowStart[group * experts + e] = running;
                running += groupCounts[group * experts + e];
            }
            expertRowCounts[e] = running - offsets[e];
            offsets[e + 1] = running;
        }
        using var rowStartOnDevice = _accelerator.Allocate1D(rowStart);
        if (tokens > 0)
            Kernels.RouteLayout.Value(Count((long)tokens * width), expertIndex, kept, slot, gates, rowStartOnDevice.View.AsContiguous(),
                I32(outputs.AssignmentRow, "assignmentRow"), I32(outputs.RowToken, "rowToken"), Words(outputs.RowGate), arguments);

        // aux = α·E·Σ_i f_i·P_i per group (f = first-choice share before capacity), mean over groups.
        var balanceGradient = new float[expertChoice ? 0 : groups * experts];
        double balanceSum = 0;
        var firstChoiceTotals = new int[experts];
        for (int group = 0; group < groups && !expertChoice; group++)
        {
            int count = Math.Min(groupSize, tokens - group * groupSize);
            double balance = 0;
            for (int i = 0; i < experts; i++)
            {
                int index = group * experts + i;
                firstChoiceTotals[i] += groupFirstChoices[index];
                double fraction = (double)groupFirstChoices[index] / count;
                balance += experts * fraction * (sums[index] / count);
                balanceGradient[index] = (float)(experts * fraction / count / groups);
            }
            balanceSum += balance / groups;
        }
        int dropped = expertChoice
            ? Enumerable.Range(0, tokens).Count(t => !this.ToArray<int>(outputs.Kept).AsSpan(t * width, width).Contains(1))
            : tokens * width - offsets[experts];
        double Mean(int column) => tokens == 0 ? 0 : Enumerable.Range(0, tokens).Sum(t => perToken[t * 3 + column]) / tokens;
        return new RoutingStatistics
        {
            ExpertRowCounts = expertRowCounts,
            ExpertRowOffsets = offsets,
            GroupCapacities = groupCapacities,
            FirstChoiceCounts = firstChoiceTotals,
            DroppedCount = dropped,
            AssignmentCount = expertChoice ? tokens : tokens * width,
            BalanceSum = balanceSum,
            BalanceGradient = balanceGradient,
            MeanSquaredLogSumExp = Mean(0),
            MeanTopProbability = Mean(1),
            MeanEntropy = Mean(2),
        };
    }

    /// <inheritdoc/>
    public void RouterBackward(RoutingTensors routing, Tensor dGates, RoutingRequest request, ReadOnlySpan<float> balanceGradient, float balanceScale, float zScale, Tensor dLogits)
    {
        var (tokens, experts) = OpChecks.RouterBackward(routing, dGates, request, balanceGradient, dLogits);
        if (tokens == 0) return;
        int groupSize = request.GroupSize == 0 ? Math.Max(tokens, 1) : request.GroupSize;
        var arguments = new RoutingArguments(tokens, experts, request.AssignmentWidth(experts), request.TopK, request.Renormalize ? 1 : 0,
            request.Mode == RoutingMode.ExpertChoice ? 1 : 0, request.CapacityFactor, request.MinCapacity, groupSize);
        using var balance = _accelerator.Allocate1D(balanceGradient.Length == 0 ? new float[1] : balanceGradient.ToArray());
        Kernels.RouterBackward.Value(Count(tokens), Words(routing.Probabilities), Words(routing.LogSumExp), I32(routing.ExpertIndex, "expertIndex"), Words(routing.Gates),
            I32(routing.Kept, "kept"), F32(dGates, nameof(dGates)), balance.View.AsContiguous(), balanceGradient.Length == 0 ? 0 : 1, balanceScale, zScale, F32(dLogits, nameof(dLogits)), arguments);
        _accelerator.Synchronize();
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
}
