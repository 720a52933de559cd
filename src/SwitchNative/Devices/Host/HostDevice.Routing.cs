// Routing on the host: softmax, top-k, capacity, slot claiming, the expert-major row layout
// and the router statistics (spec/switch-layer.md steps 2–6, 9–10), and the router's
// backward. This is O(T·E) bookkeeping with a sequential slot scan, tiny next to the expert
// GEMMs, so the reference and CPU devices share this one plain implementation (RouteOnHost,
// RouterBackwardOnHost), which other devices may call on copies; the expert products,
// dispatch and combine are per-device kernels.
using SwitchNative.Devices.Routing;
using SwitchNative.Tensors;

namespace SwitchNative.Devices.Host;

public abstract partial class HostDevice
{
    /// <inheritdoc/>
    public RoutingStatistics Route(Tensor logits, RoutingRequest request, RoutingTensors outputs)
    {
        var (tokens, experts, _) = OpChecks.Route(logits, request, outputs);

        var spans = new RoutingSpans(F32(outputs.Probabilities, "probabilities"), F32(outputs.LogSumExp, "logSumExp"), I32(outputs.ExpertIndex, "expertIndex"),
            F32(outputs.Gates, "gates"), I32(outputs.Kept, "kept"), I32(outputs.Slot, "slot"), I32(outputs.AssignmentRow, "assignmentRow"),
            I32(outputs.RowToken, "rowToken"), F32(outputs.RowGate, "rowGate"));
        return RouteOnHost(F32(logits, nameof(logits)), tokens, experts, request, spans);
    }

    /// <summary>
    /// The routing computation on host spans (shared by every device that routes on the host):
    /// see <see cref="IDevice.Route"/>. <paramref name="z"/> holds the logits [T, E].
    /// </summary>
    public static RoutingStatistics RouteOnHost(ReadOnlySpan<float> z, int tokens, int experts, RoutingRequest request, RoutingSpans spans)
    {
        int width = request.AssignmentWidth(experts);
        var probabilities = spans.Probabilities;
        var logSumExp = spans.LogSumExp;
        double squaredLogSumExp = 0, topProbability = 0, entropy = 0;
        double[]? exponentials = null;
        for (int t = 0; t < tokens; t++)
        {
            // p = exp(z − max) / Σ exp(z − max) = exp(z − lse) with lse = max + ln Σ exp(z − max):
            // stable for any logit scale, one exponential per logit (the exponentials are kept in
            // the probability row between the two passes, in double).
            // Entropy −Σ p·ln p = −Σ p·(z − lse) = lse − Σ p·z: no logarithm per logit.
            var row = z.Slice(t * experts, experts);
            var probabilityRow = probabilities.Slice(t * experts, experts);
            float max = float.NegativeInfinity;
            foreach (var value in row) max = MathF.Max(max, value);
            exponentials ??= new double[experts];
            double sum = 0;
            for (int i = 0; i < experts; i++) sum += exponentials[i] = Math.Exp((double)row[i] - max);
            double lse = max + Math.Log(sum);
            logSumExp[t] = (float)lse;
            squaredLogSumExp += lse * lse;
            double top = 0, expectedLogit = 0;
            for (int i = 0; i < experts; i++)
            {
                double p = exponentials[i] / sum;
                probabilityRow[i] = (float)p;
                top = Math.Max(top, p);
                if (p > 0) expectedLogit += p * row[i]; // an underflowed p adds nothing (and −∞·0 would be NaN)
            }
            entropy += lse - expectedLogit;
            topProbability += top;
        }

        int groupSize = request.GroupSize == 0 ? Math.Max(tokens, 1) : request.GroupSize;
        int groupCount = (tokens + groupSize - 1) / groupSize;
        var expertIndex = spans.ExpertIndex;
        var gates = spans.Gates;
        var kept = spans.Kept;
        var slot = spans.Slot;
        var groupCounts = new int[groupCount, experts];
        var capacities = new int[groupCount];
        var firstChoices = new int[experts];
        var balanceGradient = new float[request.Mode == RoutingMode.TokenChoice ? groupCount * experts : 0];
        double balanceSum = 0;
        for (int group = 0; group < groupCount; group++)
        {
            int first = group * groupSize, count = Math.Min(groupSize, tokens - first);
            if (request.Mode == RoutingMode.TokenChoice)
            {
                var (capacity, balance) = RouteGroupByTokenChoice(probabilities, request, experts, first, count, expertIndex, gates, kept, slot, groupCounts, group, firstChoices, balanceGradient, groupCount);
                capacities[group] = capacity;
                balanceSum += balance / groupCount;
            }
            else
            {
                capacities[group] = RouteGroupByExpertChoice(probabilities, request, experts, first, count, expertIndex, gates, kept, slot, groupCounts, group);
            }
        }

        // Expert-major layout: expert e's rows are its group-0 slots, then group 1's, and so on.
        var expertRowCounts = new int[experts];
        var offsets = new int[experts + 1];
        for (int e = 0; e < experts; e++)
        {
            for (int group = 0; group < groupCount; group++) expertRowCounts[e] += groupCounts[group, e];
            offsets[e + 1] = offsets[e] + expertRowCounts[e];
        }
        var assignmentRow = spans.AssignmentRow;
        var rowToken = spans.RowToken;
        var rowGate = spans.RowGate;
        var groupBase = new int[experts];
        int dropped = 0;
        for (int group = 0; group < groupCount; group++)
        {
            int first = group * groupSize, count = Math.Min(groupSize, tokens - first);
            for (int e = 0; e < experts; e++)
            {
                groupBase[e] = offsets[e];
                for (int earlier = 0; earlier < group; earlier++) groupBase[e] += groupCounts[earlier, e];
            }
            for (int t = first; t < first + count; t++)
            {
                bool anyKept = false;
                for (int j = 0; j < width; j++)
                {
                    int a = t * width + j;
                    if (kept[a] == 0)
                    {
                        assignmentRow[a] = -1;
                        if (request.Mode == RoutingMode.TokenChoice) dropped++;
                        continue;
                    }
                    anyKept = true;
                    int row = groupBase[expertIndex[a]] + slot[a];
                    assignmentRow[a] = row;
                    rowToken[row] = t;
                    rowGate[row] = gates[a];
                }
                if (request.Mode == RoutingMode.ExpertChoice && !anyKept) dropped++;
            }
        }

        return new RoutingStatistics
        {
            ExpertRowCounts = expertRowCounts,
            ExpertRowOffsets = offsets,
            GroupCapacities = capacities,
            FirstChoiceCounts = firstChoices,
            DroppedCount = dropped,
            AssignmentCount = request.Mode == RoutingMode.TokenChoice ? tokens * width : tokens,
            BalanceSum = balanceSum,
            BalanceGradient = balanceGradient,
            MeanSquaredLogSumExp = tokens == 0 ? 0 : squaredLogSumExp / tokens,
            MeanTopProbability = tokens == 0 ? 0 : topProbability / tokens,
            MeanEntropy = tokens == 0 ? 0 : entropy / tokens,
        };
    }

    // Token choice in one group of n tokens starting at `first`. Returns (C, E·Σ f_i·P_i).
    private static (int Capacity, double Balance) RouteGroupByTokenChoice(Span<float> probabilities, RoutingRequest request, int experts, int first, int count,
        Span<int> expertIndex, Span<float> gates, Span<int> kept, Span<int> slot, int[,] groupCounts, int group, int[] firstChoices, float[] balanceGradient, int groupCount)
    {
        int k = request.TopK;
        var assigned = new int[experts];
        var groupFirst = new int[experts];
        for (int t = first; t < first + count; t++)
        {
            var p = probabilities.Slice(t * experts, experts);
            // Top-k by repeated arg-max; strict '>' keeps the lower index on ties.
            float chosenSum = 0;
            for (int j = 0; j < k; j++)
            {
                int best = -1;
                for (int i = 0; i < experts; i++)
                {
                    bool taken = false;
                    for (int earlier = 0; earlier < j; earlier++) taken |= expertIndex[t * k + earlier] == i;
                    if (!taken && (best < 0 || p[i] > p[best])) best = i;
                }
                expertIndex[t * k + j] = best;
                gates[t * k + j] = p[best];
                chosenSum += p[best];
                assigned[best]++;
            }
            groupFirst[expertIndex[t * k]]++;
            // k = 1 never renormalizes: a single renormalized gate is 1 and cuts the router off.
            if (k > 1 && request.Renormalize)
                for (int j = 0; j < k; j++) gates[t * k + j] /= chosenSum;
        }

        int capacity = request.CapacityFactor > 0 ? request.Capacity(count, experts) : (count == 0 ? 0 : assigned.Max());
        // Slots: all first choices in token order, then all second choices, ...; a full expert drops.
        var fill = new int[experts];
        for (int j = 0; j < k; j++)
            for (int t = first; t < first + count; t++)
            {
                int a = t * k + j, e = expertIndex[a];
                bool room = fill[e] < capacity;
                kept[a] = room ? 1 : 0;
                slot[a] = room ? fill[e]++ : -1;
            }

        // aux = α·E·Σ_i f_i·P_i with f_i = first-choice share (before capacity), P_i = mean prob.
        double balance = 0;
        for (int i = 0; i < experts; i++)
        {
            groupCounts[group, i] = fill[i];
            firstChoices[i] += groupFirst[i];
            if (count == 0) continue;
            double meanProbability = 0;
            for (int t = first; t < first + count; t++) meanProbability += probabilities[t * experts + i];
            meanProbability /= count;
            double fraction = (double)groupFirst[i] / count;
            balance += experts * fraction * meanProbability;
            balanceGradient[group * experts + i] = (float)(experts * fraction / count / groupCount);
        }
        return (capacity, balance);
    }

    // Expert choice in one group: each expert takes its C most probable tokens (ties to the lower token).
    private static int RouteGroupByExpertChoice(Span<float> probabilities, RoutingRequest request, int experts, int first, int count,
        Span<int> expertIndex, Span<float> gates, Span<int> kept, Span<int> slot, int[,] groupCounts, int group)
    {
        int capacity = request.Capacity(count, experts);
        var order = new int[count];
        var probabilityCopy = probabilities.Slice(first * experts, count * experts).ToArray();
        for (int e = 0; e < experts; e++)
        {
            for (int i = 0; i < count; i++) order[i] = first + i;
            Array.Sort(order, (left, right) =>
            {
                int byProbability = probabilityCopy[(right - first) * experts + e].CompareTo(probabilityCopy[(left - first) * experts + e]);
                return byProbability != 0 ? byProbability : left.CompareTo(right);
            });
            for (int t = first; t < first + count; t++)
            {
                int a = t * experts + e;
                expertIndex[a] = e;
                gates[a] = probabilities[a];
                kept[a] = 0;
                slot[a] = -1;
            }
            int taken = Math.Min(capacity, count);
            for (int rank = 0; rank < taken; rank++)
            {
                int a = order[rank] * experts + e;
                kept[a] = 1;
                slot[a] = rank;
            }
            groupCounts[group, e] = taken;
        }
        return capacity;
    }


    /// <inheritdoc/>
    public void RouterBackward(RoutingTensors routing, Tensor dGates, RoutingRequest request, ReadOnlySpan<float> balanceGradient, float balanceScale, float zScale, Tensor dLogits)
    {
        var (tokens, experts) = OpChecks.RouterBackward(routing, dGates, request, balanceGradient, dLogits);

        RouterBackwardOnHost(F32(routing.Probabilities, "probabilities"), F32(routing.LogSumExp, "logSumExp"), I32(routing.ExpertIndex, "expertIndex"),
            F32(routing.Gates, "gates"), I32(routing.Kept, "kept"), F32(dGates, nameof(dGates)), request, balanceGradient, balanceScale, zScale, F32(dLogits, nameof(dLogits)), tokens, experts);
    }

    /// <summary>The router backward on host spans (see <see cref="IDevice.RouterBackward"/>).</summary>
    public static void RouterBackwardOnHost(ReadOnlySpan<float> p, ReadOnlySpan<float> lse, ReadOnlySpan<int> index, ReadOnlySpan<float> gates, ReadOnlySpan<int> kept,
        ReadOnlySpan<float> upstream, RoutingRequest request, ReadOnlySpan<float> balanceGradient, float balanceScale, float zScale, Span<float> gradient, int tokens, int experts)
    {
        int width = request.AssignmentWidth(experts);
        int groupSize = request.GroupSize == 0 ? Math.Max(tokens, 1) : request.GroupSize;
        bool renormalized = request.Mode == RoutingMode.TokenChoice && request.TopK > 1 && request.Renormalize;
        var dp = new double[experts];
        for (int t = 0; t < tokens; t++)
        {
            int group = t / groupSize;
            for (int i = 0; i < experts; i++)
                dp[i] = balanceGradient.Length == 0 ? 0 : (double)balanceScale * balanceGradient[group * experts + i];
            if (renormalized)
            {
                // gate_j = p_j/S, S = Σ_chosen p: ∂gate_j/∂p_m = (δ_jm − gate_j)/S.
                double chosenSum = 0, weighted = 0;
                for (int j = 0; j < width; j++)
                {
                    int a = t * width + j;
                    chosenSum += p[t * experts + index[a]];
                    weighted += kept[a] * (double)upstream[a] * gates[a];
                }
                for (int j = 0; j < width; j++)
                {
                    int a = t * width + j;
                    dp[index[a]] += (kept[a] * (double)upstream[a] - weighted) / chosenSum;
                }
            }
            else
            {
                for (int j = 0; j < width; j++)
                {
                    int a = t * width + j;
                    dp[index[a]] += kept[a] * (double)upstream[a];
                }
            }
            // softmax backward, plus the z-loss term ∂(lse²)/∂z_i = 2·lse·p_i (scaled by zScale).
            double dot = 0;
            for (int i = 0; i < experts; i++) dot += p[t * experts + i] * dp[i];
            for (int i = 0; i < experts; i++)
            {
                double probability = p[t * experts + i];
                gradient[t * experts + i] = (float)(probability * (dp[i] - dot) + zScale * (double)lse[t] * probability);
            }
        }
    }
}

/// <summary>The host spans a routing call writes (see <see cref="RoutingTensors"/> for the shapes).</summary>
public readonly ref struct RoutingSpans(Span<float> probabilities, Span<float> logSumExp, Span<int> expertIndex, Span<float> gates, Span<int> kept,
    Span<int> slot, Span<int> assignmentRow, Span<int> rowToken, Span<float> rowGate)
{
    /// <summary>softmax(logits) [T, E].</summary>
    public Span<float> Probabilities { get; } = probabilities;
    /// <summary>logsumexp per token [T].</summary>
    public Span<float> LogSumExp { get; } = logSumExp;
    /// <summary>[T, A].</summary>
    public Span<int> ExpertIndex { get; } = expertIndex;
    /// <summary>[T, A].</summary>
    public Span<float> Gates { get; } = gates;
    /// <summary>[T, A].</summary>
    public Span<int> Kept { get; } = kept;
    /// <summary>[T, A].</summary>
    public Span<int> Slot { get; } = slot;
    /// <summary>[T, A].</summary>
    public Span<int> AssignmentRow { get; } = assignmentRow;
    /// <summary>[T·A].</summary>
    public Span<int> RowToken { get; } = rowToken;
    /// <summary>[T·A].</summary>
    public Span<float> RowGate { get; } = rowGate;
}
