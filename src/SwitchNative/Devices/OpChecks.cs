// Shape and dtype validation shared by every device, so that a bad call fails with the same
// clear message on all of them, before any kernel runs.
using SwitchNative.Devices.Routing;
using SwitchNative.Tensors;

namespace SwitchNative.Devices;

/// <summary>Argument checks for device ops.</summary>
public static class OpChecks
{
    /// <summary>Throws unless <paramref name="tensor"/> lives on <paramref name="device"/> and has <paramref name="dtype"/>.</summary>
    public static void On(IDevice device, Tensor tensor, string name, DType dtype = DType.F32)
    {
        ArgumentNullException.ThrowIfNull(tensor, name);
        if (!ReferenceEquals(tensor.Device, device))
            throw new ArgumentException($"{name} lives on device '{tensor.Device.Name}', not on '{device.Name}'", name);
        if (tensor.Buffer.IsDisposed)
            throw new ObjectDisposedException(name, $"{name} views a buffer that was disposed");
        if (tensor.DType != dtype)
            throw new ArgumentException($"{name} must be {dtype}, got {tensor.DType}", name);
    }

    /// <summary>Throws unless the two tensors hold the same number of elements.</summary>
    public static void SameCount(Tensor first, string firstName, Tensor second, string secondName)
    {
        if (first.ElementCount != second.ElementCount)
            throw new ArgumentException($"{firstName} {first.Shape} and {secondName} {second.Shape} differ in element count");
    }

    /// <summary>Throws unless the two tensors have equal shapes.</summary>
    public static void SameShape(Tensor first, string firstName, Tensor second, string secondName)
    {
        if (!first.Shape.Equals(second.Shape))
            throw new ArgumentException($"{firstName} {first.Shape} and {secondName} {second.Shape} must have the same shape");
    }

    /// <summary>Throws unless <paramref name="tensor"/> has exactly <paramref name="dimensions"/> (−1 matches any size).</summary>
    public static void HasShape(Tensor tensor, string name, params long[] dimensions)
    {
        bool matches = tensor.Shape.Rank == dimensions.Length;
        for (int i = 0; matches && i < dimensions.Length; i++)
            matches = dimensions[i] < 0 || tensor.Shape[i] == dimensions[i];
        if (!matches)
            throw new ArgumentException($"{name} must have shape [{string.Join(", ", dimensions.Select(d => d < 0 ? "*" : d.ToString()))}], got {tensor.Shape}", name);
    }

    /// <summary>Throws unless <paramref name="tensor"/> holds <paramref name="count"/> elements.</summary>
    public static void HasCount(Tensor tensor, string name, long count)
    {
        if (tensor.ElementCount != count)
            throw new ArgumentException($"{name} must hold {count} elements, got {tensor.Shape}", name);
    }

    /// <summary>Validates a GEMM call and returns its sizes (M, N, K).</summary>
    public static (int M, int N, int K) Gemm(IDevice device, Tensor a, bool transposeA, Tensor b, bool transposeB, Tensor c)
    {
        On(device, a, nameof(a));
        On(device, b, nameof(b));
        On(device, c, nameof(c));
        if (a.Shape.Rank != 2 || b.Shape.Rank != 2 || c.Shape.Rank != 2)
            throw new ArgumentException($"GEMM takes 2-D tensors (reshape first); got A {a.Shape}, B {b.Shape}, C {c.Shape}");
        int m = transposeA ? a.Shape[1] : a.Shape[0];
        int k = transposeA ? a.Shape[0] : a.Shape[1];
        int kB = transposeB ? b.Shape[1] : b.Shape[0];
        int n = transposeB ? b.Shape[0] : b.Shape[1];
        if (k != kB || c.Shape[0] != m || c.Shape[1] != n)
            throw new ArgumentException(
                $"GEMM shapes do not agree: op(A) is [{m}, {k}] (A {a.Shape}{(transposeA ? "ᵀ" : "")}), op(B) is [{kB}, {n}] (B {b.Shape}{(transposeB ? "ᵀ" : "")}), C is {c.Shape}");
        return (m, n, k);
    }

    /// <summary>Validates a causal attention call and returns (B, S, D, head dim).</summary>
    public static (int Batch, int Sequence, int ModelDim, int HeadDim) Attention(IDevice device, Tensor qkv, int headCount, Tensor attention, Tensor output)
    {
        On(device, qkv, nameof(qkv));
        On(device, attention, nameof(attention));
        On(device, output, nameof(output));
        if (qkv.Shape.Rank != 3 || qkv.Shape[2] % 3 != 0)
            throw new ArgumentException($"qkv must be [B, S, 3D], got {qkv.Shape}", nameof(qkv));
        int batch = qkv.Shape[0], sequence = qkv.Shape[1], modelDim = qkv.Shape[2] / 3;
        if (headCount <= 0 || modelDim % headCount != 0)
            throw new ArgumentException($"model dim {modelDim} is not divisible by head count {headCount}", nameof(headCount));
        HasShape(attention, nameof(attention), batch, headCount, sequence, sequence);
        HasShape(output, nameof(output), batch, sequence, modelDim);
        return (batch, sequence, modelDim, modelDim / headCount);
    }

    /// <summary>Throws unless every id is in [0, vocabulary).</summary>
    public static void TokenIds(ReadOnlySpan<int> ids, int vocabulary)
    {
        for (int t = 0; t < ids.Length; t++)
            if ((uint)ids[t] >= (uint)vocabulary)
                throw new ArgumentOutOfRangeException(nameof(ids), $"token id {ids[t]} at position {t} is outside the table's {vocabulary} rows");
    }

    /// <summary>Shapes of SoftmaxCrossEntropy: logits and probabilities [N, V], targets and losses N elements.</summary>
    public static void SoftmaxCrossEntropy(Tensor logits, Tensor targets, Tensor probabilities, Tensor losses)
    {
        HasShape(logits, nameof(logits), -1, -1);
        SameShape(logits, nameof(logits), probabilities, nameof(probabilities));
        HasCount(targets, nameof(targets), logits.Shape[0]);
        HasCount(losses, nameof(losses), logits.Shape[0]);
    }

    /// <summary>Shapes of SoftmaxCrossEntropyBackward: probabilities and dLogits [N, V], targets N elements.</summary>
    public static void SoftmaxCrossEntropyBackward(Tensor probabilities, Tensor targets, Tensor dLogits)
    {
        HasShape(probabilities, nameof(probabilities), -1, -1);
        SameShape(probabilities, nameof(probabilities), dLogits, nameof(dLogits));
        HasCount(targets, nameof(targets), probabilities.Shape[0]);
    }

    /// <summary>Throws unless every target is in [0, vocabulary) or equals the ignore index.</summary>
    public static void Targets(ReadOnlySpan<int> targets, int ignoreIndex, int vocabulary)
    {
        for (int t = 0; t < targets.Length; t++)
            if (targets[t] != ignoreIndex && (uint)targets[t] >= (uint)vocabulary)
                throw new ArgumentOutOfRangeException(nameof(targets), $"target {targets[t]} at row {t} is outside the vocabulary of {vocabulary} (ignore index {ignoreIndex})");
    }

    /// <summary>Throws unless the offsets have G + 1 non-decreasing entries from 0 to R.</summary>
    public static void RowOffsets(ReadOnlySpan<int> rowOffsets, int groups, int rows)
    {
        if (rowOffsets.Length != groups + 1 || rowOffsets[0] != 0 || rowOffsets[^1] != rows)
            throw new ArgumentException($"row offsets must have G + 1 = {groups + 1} entries from 0 to R = {rows}; got [{string.Join(", ", rowOffsets.ToArray())}]");
        for (int g = 0; g < groups; g++)
            if (rowOffsets[g + 1] < rowOffsets[g]) throw new ArgumentException($"row offsets must not decrease (group {g})");
    }

    /// <summary>Validates a grouped GEMM (A [R, K], B [G, N, K] or [G, K, N], C [R, N]) and returns (G, N, K).</summary>
    public static (int Groups, int N, int K) GroupedGemm(IDevice device, Tensor a, Tensor b, bool transposeB, Tensor c, ReadOnlySpan<int> rowOffsets)
    {
        On(device, a, nameof(a));
        On(device, b, nameof(b));
        On(device, c, nameof(c));
        if (a.Shape.Rank != 2 || b.Shape.Rank != 3 || c.Shape.Rank != 2)
            throw new ArgumentException($"grouped GEMM takes A [R, K], B [G, …, …], C [R, N]; got A {a.Shape}, B {b.Shape}, C {c.Shape}");
        int groups = b.Shape[0], k = a.Shape[1], n = transposeB ? b.Shape[1] : b.Shape[2];
        if ((transposeB ? b.Shape[2] : b.Shape[1]) != k || c.Shape[1] != n || c.Shape[0] != a.Shape[0])
            throw new ArgumentException($"grouped GEMM shapes do not agree: A {a.Shape}, B {b.Shape}{(transposeB ? "ᵀ" : "")}, C {c.Shape}");
        RowOffsets(rowOffsets, groups, a.Shape[0]);
        return (groups, n, k);
    }

    /// <summary>Validates a grouped weight-gradient GEMM (A [R, M], B [R, N], C [G, M, N]) and returns (M, N).</summary>
    public static (int M, int N) GroupedGemmWeightGradient(IDevice device, Tensor a, Tensor b, Tensor c, ReadOnlySpan<int> rowOffsets)
    {
        On(device, a, nameof(a));
        On(device, b, nameof(b));
        On(device, c, nameof(c));
        if (a.Shape.Rank != 2 || b.Shape.Rank != 2 || c.Shape.Rank != 3 || a.Shape[0] != b.Shape[0] || c.Shape[1] != a.Shape[1] || c.Shape[2] != b.Shape[1])
            throw new ArgumentException($"grouped weight-gradient GEMM takes A [R, M], B [R, N], C [G, M, N]; got A {a.Shape}, B {b.Shape}, C {c.Shape}");
        RowOffsets(rowOffsets, c.Shape[0], a.Shape[0]);
        return (a.Shape[1], b.Shape[1]);
    }

    /// <summary>Validates a routing call and returns (T, E, assignments per token).</summary>
    public static (int Tokens, int Experts, int Width) Route(Tensor logits, RoutingRequest request, RoutingTensors outputs)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(outputs);
        HasShape(logits, nameof(logits), -1, -1);
        int tokens = logits.Shape[0], experts = logits.Shape[1];
        request.Validate(experts);
        int width = request.AssignmentWidth(experts);
        RoutingShapes(outputs, tokens, experts, width);
        return (tokens, experts, width);
    }

    /// <summary>Validates a router backward call and returns (T, E).</summary>
    public static (int Tokens, int Experts) RouterBackward(RoutingTensors routing, Tensor dGates, RoutingRequest request, ReadOnlySpan<float> balanceGradient, Tensor dLogits)
    {
        ArgumentNullException.ThrowIfNull(routing);
        ArgumentNullException.ThrowIfNull(request);
        int tokens = routing.Probabilities.Shape[0], experts = routing.Probabilities.Shape[1];
        int width = request.AssignmentWidth(experts);
        RoutingShapes(routing, tokens, experts, width);
        HasShape(dGates, nameof(dGates), tokens, width);
        HasShape(dLogits, nameof(dLogits), tokens, experts);
        int groupSize = request.GroupSize == 0 ? Math.Max(tokens, 1) : request.GroupSize;
        int expected = (tokens + groupSize - 1) / groupSize * experts;
        if (balanceGradient.Length != 0 && balanceGradient.Length != expected)
            throw new ArgumentException($"the balance gradient must hold groups·E = {expected} values, got {balanceGradient.Length}");
        return (tokens, experts);
    }

    /// <summary>Checks the shapes of routing outputs for T tokens, E experts and A assignments per token.</summary>
    public static void RoutingShapes(RoutingTensors outputs, int tokens, int experts, int width)
    {
        HasShape(outputs.Probabilities, nameof(outputs.Probabilities), tokens, experts);
        HasCount(outputs.LogSumExp, nameof(outputs.LogSumExp), tokens);
        foreach (var (tensor, name) in new[] { (outputs.ExpertIndex, "ExpertIndex"), (outputs.Gates, "Gates"), (outputs.Kept, "Kept"), (outputs.Slot, "Slot"), (outputs.AssignmentRow, "AssignmentRow") })
            HasShape(tensor, name, tokens, width);
        HasCount(outputs.RowToken, nameof(outputs.RowToken), (long)tokens * width);
        HasCount(outputs.RowGate, nameof(outputs.RowGate), (long)tokens * width);
    }

    /// <summary>Validates combine shapes (expertOutput [R, d], assignmentRow [T, A], tokens [T, d]) and returns (R, d).</summary>
    public static (int Rows, int Width) Combine(Tensor expertOutput, Tensor assignmentRow, Tensor tokens, string tokensName)
    {
        HasShape(expertOutput, nameof(expertOutput), -1, -1);
        HasShape(assignmentRow, nameof(assignmentRow), -1, -1);
        HasShape(tokens, tokensName, assignmentRow.Shape[0], expertOutput.Shape[1]);
        return (expertOutput.Shape[0], expertOutput.Shape[1]);
    }

    /// <summary>Throws unless every assignment row is −1 (dropped) or in [0, rows).</summary>
    public static void AssignmentRows(ReadOnlySpan<int> values, int rows)
    {
        foreach (var row in values)
            if (row < -1 || row >= rows) throw new ArgumentOutOfRangeException("assignmentRow", $"assignment row {row} is outside [−1, {rows})");
    }

    /// <summary>Validates RMSNorm (x, y [R, C], weight [C], reciprocalRms [R]) and returns C.</summary>
    public static int RmsNorm(Tensor x, Tensor weight, Tensor y, Tensor reciprocalRms)
    {
        int columns = x.Shape.LastDimension;
        SameShape(x, nameof(x), y, nameof(y));
        HasCount(weight, nameof(weight), columns);
        HasCount(reciprocalRms, nameof(reciprocalRms), x.Shape.RowCount);
        return columns;
    }

    /// <summary>Validates RMSNorm backward and returns C.</summary>
    public static int RmsNormBackward(Tensor x, Tensor weight, Tensor reciprocalRms, Tensor dy, Tensor dx, Tensor dWeight)
    {
        int columns = x.Shape.LastDimension;
        SameShape(x, nameof(x), dy, nameof(dy));
        SameShape(x, nameof(x), dx, nameof(dx));
        HasCount(weight, nameof(weight), columns);
        HasCount(dWeight, nameof(dWeight), columns);
        HasCount(reciprocalRms, nameof(reciprocalRms), x.Shape.RowCount);
        return columns;
    }

    /// <summary>Validates LayerNorm (x, y [R, C], weight, bias [C], mean, reciprocalStd [R]) and returns C.</summary>
    public static int LayerNorm(Tensor x, Tensor weight, Tensor bias, Tensor y, Tensor mean, Tensor reciprocalStd)
    {
        int columns = x.Shape.LastDimension;
        SameShape(x, nameof(x), y, nameof(y));
        HasCount(weight, nameof(weight), columns);
        HasCount(bias, nameof(bias), columns);
        HasCount(mean, nameof(mean), x.Shape.RowCount);
        HasCount(reciprocalStd, nameof(reciprocalStd), x.Shape.RowCount);
        return columns;
    }

    /// <summary>Validates LayerNorm backward and returns C.</summary>
    public static int LayerNormBackward(Tensor x, Tensor weight, Tensor mean, Tensor reciprocalStd, Tensor dy, Tensor dx, Tensor dWeight, Tensor dBias)
    {
        int columns = x.Shape.LastDimension;
        SameShape(x, nameof(x), dy, nameof(dy));
        SameShape(x, nameof(x), dx, nameof(dx));
        HasCount(weight, nameof(weight), columns);
        HasCount(dWeight, nameof(dWeight), columns);
        HasCount(dBias, nameof(dBias), columns);
        HasCount(mean, nameof(mean), x.Shape.RowCount);
        HasCount(reciprocalStd, nameof(reciprocalStd), x.Shape.RowCount);
        return columns;
    }

    /// <summary>Validates single-query attention (query, output [D], keys, values [L, D], L ≥ 1) and returns (L, D).</summary>
    public static (int Length, int ModelDim) AttentionDecode(Tensor query, Tensor keys, Tensor values, int headCount, Tensor output)
    {
        int modelDim = checked((int)query.ElementCount);
        if (headCount <= 0 || modelDim % headCount != 0) throw new ArgumentException($"model dim {modelDim} is not divisible by head count {headCount}", nameof(headCount));
        HasShape(keys, nameof(keys), -1, modelDim);
        SameShape(keys, nameof(keys), values, nameof(values));
        HasCount(output, nameof(output), modelDim);
        if (keys.Shape[0] == 0) throw new ArgumentException("the key/value cache is empty", nameof(keys));
        return (keys.Shape[0], modelDim);
    }

    /// <summary>Validates an AdamW step: 1-based step, and gradients and moments the size of the parameters.</summary>
    public static void AdamW(Tensor gradients, int step, Tensor parameters, Tensor firstMoment, Tensor secondMoment)
    {
        if (step < 1) throw new ArgumentOutOfRangeException(nameof(step), $"AdamW steps count from 1, got {step}");
        SameCount(parameters, nameof(parameters), gradients, nameof(gradients));
        SameCount(parameters, nameof(parameters), firstMoment, nameof(firstMoment));
        SameCount(parameters, nameof(parameters), secondMoment, nameof(secondMoment));
    }
}
