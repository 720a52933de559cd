// Routing on the ILGPU device (spec/switch-layer.md steps 2–6):
//   Tokens  (one thread per token): softmax and logsumexp, per-token statistics, top-k with
//           ties to the lower expert and the gates (expert choice: one column per expert).
//   Groups  (one thread per routing group): capacity, slot claiming in the specified order
//           (all first choices in token order, then all second choices, ...), per-expert counts
//           and probability sums for the load-balancing loss. The claim is a sequential scan by
//           definition, so each group is one thread; groups run in parallel.
//   Layout  (one thread per assignment): the expert-major row of each kept assignment.
//   Backward (one thread per token): gate, renormalization, aux and z terms, softmax backward.
using ILGPU;

namespace SwitchNative.Ilgpu.Kernels;

/// <summary>Routing sizes and knobs.</summary>
internal readonly record struct RoutingArguments(int Tokens, int Experts, int Width, int TopK, int Renormalize, int ExpertChoice, double CapacityFactor, int MinCapacity, int GroupSize);

internal static class RoutingKernels
{
    // tokenStatistics[t] = (lse², max p, entropy) for the router-health means.
    public static void Tokens(Index1D t, ArrayView<float> logits, ArrayView<float> probabilities, ArrayView<float> logSumExp, ArrayView<int> expertIndex, ArrayView<float> gates,
        ArrayView<double> tokenStatistics, RoutingArguments r)
    {
        long start = (long)t.X * r.Experts;
        float max = float.NegativeInfinity;
        for (int i = 0; i < r.Experts; i++) max = MathF.Max(max, logits[start + i]);
        double sum = 0;
        for (int i = 0; i < r.Experts; i++) sum += Math.Exp((double)logits[start + i] - max);
        double lse = max + Math.Log(sum), top = 0, entropy = 0;
        logSumExp[t] = (float)lse;
        for (int i = 0; i < r.Experts; i++)
        {
            double p = Math.Exp(logits[start + i] - lse);
            probabilities[start + i] = (float)p;
            top = Math.Max(top, p);
            if (p > 0) entropy -= p * Math.Log(p);
        }
        tokenStatistics[t * 3] = lse * lse;
        tokenStatistics[t * 3 + 1] = top;
        tokenStatistics[t * 3 + 2] = entropy;

        long assignments = (long)t.X * r.Width;
        if (r.ExpertChoice != 0)
        {
            for (int e = 0; e < r.Experts; e++)
            {
                expertIndex[assignments + e] = e;
                gates[assignments + e] = probabilities[start + e];
            }
            return;
        }
        // Top-k by repeated arg-max; strict '>' keeps the lower index on ties.
        float chosenSum = 0f;
        for (int j = 0; j < r.TopK; j++)
        {
            int best = -1;
            for (int i = 0; i < r.Experts; i++)
            {
                bool taken = false;
                for (int earlier = 0; earlier < j; earlier++) taken |= expertIndex[assignments + earlier] == i;
                if (!taken && (best < 0 || probabilities[start + i] > probabilities[start + best])) best = i;
            }
            expertIndex[assignments + j] = best;
            gates[assignments + j] = probabilities[start + best];
            chosenSum += probabilities[start + best];
        }
        if (r.TopK > 1 && r.Renormalize != 0)
            for (int j = 0; j < r.TopK; j++) gates[assignments + j] /= chosenSum;
    }

    // counts[g·E + e]: rows expert e keeps in group g; firstChoices[g·E + e]: first choices before
    // capacity; probabilitySums[g·E + e]: Σ over the group's tokens of p[t, e]; capacities[g]: C.
    public static void Groups(Index1D group, ArrayView<float> probabilities, ArrayView<int> expertIndex, ArrayView<int> kept, ArrayView<int> slot,
        ArrayView<int> counts, ArrayView<int> firstChoices, ArrayView<double> probabilitySums, ArrayView<int> capacities, RoutingArguments r)
    {
        int first = group.X * r.GroupSize, count = Math.Min(r.GroupSize, r.Tokens - first);
        long groupStart = (long)group.X * r.Experts;
        for (int e = 0; e < r.Experts; e++)
        {
            counts[groupStart + e] = 0;
            firstChoices[groupStart + e] = 0;
            double sum = 0;
            for (int t = first; t < first + count; t++) sum += probabilities[(long)t * r.Experts + e];
            probabilitySums[groupStart + e] = sum;
        }
        int k = r.ExpertChoice != 0 ? 1 : r.TopK;
        int capacity = (int)Math.Min(count, Math.Max(r.MinCapacity, (long)Math.Floor(r.CapacityFactor * k * count / r.Experts)));
        if (r.ExpertChoice != 0)
        {
            // Each expert takes its C most probable tokens (ties to the lower token), slot = rank.
            for (int e = 0; e < r.Experts; e++)
            {
                for (int t = first; t < first + count; t++)
                {
                    kept[(long)t * r.Width + e] = 0;
                    slot[(long)t * r.Width + e] = -1;
                }
                int taken = Math.Min(capacity, count);
                for (int rank = 0; rank < taken; rank++)
                {
                    int best = -1;
                    for (int t = first; t < first + count; t++)
                        if (slot[(long)t * r.Width + e] < 0 && (best < 0 || probabilities[(long)t * r.Experts + e] > probabilities[(long)best * r.Experts + e])) best = t;
                    kept[(long)best * r.Width + e] = 1;
                    slot[(long)best * r.Width + e] = rank;
                }
                counts[groupStart + e] = taken;
            }
            capacities[group] = capacity;
            return;
        }
        for (int t = first; t < first + count; t++)
        {
            firstChoices[groupStart + expertIndex[(long)t * r.Width]] += 1;
            for (int j = 0; j < r.TopK; j++) counts[groupStart + expertIndex[(long)t * r.Width + j]] += 1;
        }
        if (r.CapacityFactor <= 0)
        {
            // Dropless: C = the largest number of assignments any expert received.
            capacity = 0;
            for (int e = 0; e < r.Experts; e++) capacity = Math.Max(capacity, counts[groupStart + e]);
        }
        for (int e = 0; e < r.Experts; e++) counts[groupStart + e] = 0;
        for (int j = 0; j < r.TopK; j++)
            for (int t = first; t < first + count; t++)
            {
                long a = (long)t * r.Width + j;
                long counter = groupStart + expertIndex[a];
                bool room = counts[counter] < capacity;
                kept[a] = room ? 1 : 0;
                slot[a] = room ? counts[counter] : -1;
                if (room) counts[counter] += 1;
            }
        capacities[group] = capacity;
    }

    // rowStart[g·E + e]: first row of expert e's group-g block in the expert-major layout.
    public static void Layout(Index1D a, ArrayView<int> expertIndex, ArrayView<int> kept, ArrayView<int> slot, ArrayView<float> gates, ArrayView<int> rowStart,
        ArrayView<int> assignmentRow, ArrayView<int> rowToken, ArrayView<float> rowGate, RoutingArguments r)
    {
        if (kept[a] == 0)
        {
            assignmentRow[a] = -1;
            return;
        }
        int t = a.X / r.Width, group = t / r.GroupSize;
        int row = rowStart[(long)group * r.Experts + expertIndex[a]] + slot[a];
        assignmentRow[a] = row;
        rowToken[row] = t;
        rowGate[row] = gates[a];
    }

    // dLogits row t (also the scratch for dp): see IDevice.RouterBackward for the math.
    public static void Backward(Index1D t, ArrayView<float> probabilities, ArrayView<float> logSumExp, ArrayView<int> expertIndex, ArrayView<float> gates, ArrayView<int> kept,
        ArrayView<float> dGates, ArrayView<float> balanceGradient, int hasBalance, float balanceScale, float zScale, ArrayView<float> dLogits, RoutingArguments r)
    {
        long row = (long)t.X * r.Experts, assignments = (long)t.X * r.Width;
        int group = t.X / r.GroupSize;
        for (int i = 0; i < r.Experts; i++)
            dLogits[row + i] = hasBalance != 0 ? balanceScale * balanceGradient[(long)group * r.Experts + i] : 0f;
        if (r.ExpertChoice == 0 && r.TopK > 1 && r.Renormalize != 0)
        {
            // gate_j = p_j/S, S = Σ_chosen p: dp_m += (g_m − Σ_j g_j·gate_j)/S.
            double chosenSum = 0, weighted = 0;
            for (int j = 0; j < r.Width; j++)
            {
                chosenSum += probabilities[row + expertIndex[assignments + j]];
                weighted += kept[assignments + j] * (double)dGates[assignments + j] * gates[assignments + j];
            }
            for (int j = 0; j < r.Width; j++)
                dLogits[row + expertIndex[assignments + j]] += (float)((kept[assignments + j] * (double)dGates[assignments + j] - weighted) / chosenSum);
        }
        else
        {
            for (int j = 0; j < r.Width; j++) dLogits[row + expertIndex[assignments + j]] += kept[assignments + j] * dGates[assignments + j];
        }
        double dot = 0;
        for (int i = 0; i < r.Experts; i++) dot += (double)probabilities[row + i] * dLogits[row + i];
        for (int i = 0; i < r.Experts; i++)
        {
            double p = probabilities[row + i];
            dLogits[row + i] = (float)(p * (dLogits[row + i] - dot) + zScale * (double)logSumExp[t] * p);
        }
    }
}
