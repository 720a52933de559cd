// The MoE stages as device ops: dispatch and combine (each other's adjoints), the grouped
// GEMMs with uneven and empty groups, and routing, against the reference.
using SwitchNative.Devices;
using SwitchNative.Devices.Routing;
using SwitchNative.Tensors;
using SwitchNative.Tests.Infrastructure;

namespace SwitchNative.Tests.Devices;

public abstract partial class DeviceOpTests
{
    // A routing of 7 tokens, 2 assignments each, into 9 rows (−1 = dropped).
    private static readonly int[] AssignmentRows = [0, 5, -1, 2, 8, 1, 3, -1, 6, 4, -1, -1, 7, -1];
    private static readonly int[] RowTokens = [0, 2, 1, 3, 4, 0, 4, 6, 2];

    [Theory]
    [InlineData(1)]
    [InlineData(17)]
    [InlineData(64)]
    public void Dispatch_and_combine_match_reference(int width)
    {
        var x = TestData.Uniform(7 * width, seed: width);
        var rows = TestData.Uniform(9 * width, seed: width + 1);
        var scales = TestData.Uniform(9, seed: 3);
        var weights = TestData.Uniform(14, seed: 4);
        Compare(device =>
        {
            using var tokens = device.FromArray<float>(x, [7, width]);
            using var rowToken = device.FromArray<int>(RowTokens, [9]);
            using var rowScale = device.FromArray<float>(scales, [9]);
            using var expertRows = device.FromArray<float>(rows, [9, width]);
            using var assignmentRow = device.FromArray<int>(AssignmentRows, [7, 2]);
            using var gates = device.FromArray<float>(weights, [7, 2]);
            using var dispatched = device.Allocate([9, width]);
            using var scaled = device.Allocate([9, width]);
            using var combined = device.Allocate([7, width]);
            using var summed = device.Allocate([7, width]);
            using var dGates = device.Allocate([7, 2]);
            device.Dispatch(tokens, rowToken, null, dispatched);
            device.Dispatch(tokens, rowToken, rowScale, scaled);
            device.Combine(expertRows, assignmentRow, gates, combined);
            device.Combine(expertRows, assignmentRow, null, summed);
            device.CombineGateGradient(expertRows, assignmentRow, tokens, dGates);
            return [.. device.ToArray(dispatched), .. device.ToArray(scaled), .. device.ToArray(combined), .. device.ToArray(summed), .. device.ToArray(dGates)];
        }, 1e-6, 1e-6, "dispatch/combine");
    }

    [Fact]
    public void Dispatch_and_unit_weight_combine_are_adjoint()
    {
        // ⟨dispatch(x), r⟩ = ⟨x, combine(r)⟩ when rowToken and assignmentRow describe the same routing.
        const int width = 5;
        var x = TestData.Uniform(7 * width, seed: 1);
        var r = TestData.Uniform(9 * width, seed: 2);
        using var tokens = Device.FromArray<float>(x, [7, width]);
        using var rows = Device.FromArray<float>(r, [9, width]);
        using var rowToken = Device.FromArray<int>(RowTokens, [9]);
        using var assignmentRow = Device.FromArray<int>(AssignmentRows, [7, 2]);
        using var dispatched = Device.Allocate([9, width]);
        using var combined = Device.Allocate([7, width]);
        Device.Dispatch(tokens, rowToken, null, dispatched);
        Device.Combine(rows, assignmentRow, null, combined);
        double left = GradientCheck.WeightedSum(Device.ToArray(dispatched), r);
        double right = GradientCheck.WeightedSum(Device.ToArray(combined), x);
        Assert.Equal(left, right, 5);
    }

    public static IEnumerable<object[]> GroupedGemmCases() => new[]
    {
        new[] { 0, 3, 3, 10, 10, 25 },      // empty first and middle groups
        new[] { 0, 0, 0, 0 },               // all empty
        new[] { 0, 40, 41, 100, 163 },      // off the tile sizes
    }.Select(offsets => new object[] { offsets });

    [Theory]
    [MemberData(nameof(GroupedGemmCases))]
    public void Grouped_gemms_match_reference(int[] offsets)
    {
        int groups = offsets.Length - 1, rows = offsets[^1], k = 19, n = 37;
        var a = TestData.Uniform(rows * k, seed: 1);
        var bTransposed = TestData.Uniform(groups * n * k, seed: 2);
        var gradient = TestData.Uniform(rows * n, seed: 3);
        var initial = TestData.Uniform(groups * k * n, seed: 4);
        Compare(device =>
        {
            using var left = device.FromArray<float>(a, [rows, k]);
            using var weights = device.FromArray<float>(bTransposed, [groups, n, k]);
            using var output = device.Allocate([rows, n]);
            device.GroupedGemm(left, weights, true, 1f, 0f, output, offsets);
            using var upstream = device.FromArray<float>(gradient, [rows, n]);
            using var back = device.Allocate([rows, k]);
            device.GroupedGemm(upstream, weights, false, 1f, 0f, back, offsets);
            using var weightGradient = device.FromArray<float>(initial, [groups, k, n]);
            device.GroupedGemmWeightGradient(left, upstream, 1f, 1f, weightGradient, offsets);
            return [.. device.ToArray(output), .. device.ToArray(back), .. device.ToArray(weightGradient)];
        }, 2e-5, 1e-5, "grouped GEMM");
    }

    [Fact]
    public void Grouped_gemm_rejects_bad_offsets()
    {
        using var a = Device.Allocate([5, 3]);
        using var b = Device.Allocate([2, 4, 3]);
        using var c = Device.Allocate([5, 4]);
        Assert.Contains("row offsets", Assert.Throws<ArgumentException>(() => Device.GroupedGemm(a, b, true, 1, 0, c, [0, 2, 4])).Message);
        Assert.Contains("decrease", Assert.Throws<ArgumentException>(() => Device.GroupedGemm(a, b, true, 1, 0, c, [0, 6, 5])).Message);
    }

    [Theory]
    [InlineData(1, 0.0, 0)]
    [InlineData(2, 1.25, 0)]
    [InlineData(1, 1.0, 7)]
    public void Routing_matches_reference(int topK, double capacityFactor, int groupSize)
    {
        const int tokens = 30, experts = 6;
        var logits = TestData.Uniform(tokens * experts, seed: topK, low: -3f, high: 3f);
        var request = new RoutingRequest(topK, true, capacityFactor, 2, groupSize);
        RoutingStatistics? expectedStatistics = null;
        var (expected, actual) = Both(device =>
        {
            using var input = device.FromArray<float>(logits, [tokens, experts]);
            using var outputs = RoutingTensors.Allocate(device, tokens, experts, topK);
            var statistics = device.Route(input, request, outputs);
            if (expectedStatistics is null) expectedStatistics = statistics;
            else
            {
                Assert.Equal(expectedStatistics.ExpertRowOffsets, statistics.ExpertRowOffsets);
                Assert.Equal(expectedStatistics.GroupCapacities, statistics.GroupCapacities);
                Assert.Equal(expectedStatistics.BalanceSum, statistics.BalanceSum, 6);
            }
            int rows = statistics.RowCount;
            return [.. device.ToArray(outputs.Probabilities), .. device.ToArray(outputs.Gates),
                .. device.ToArray<int>(outputs.ExpertIndex).Select(v => (float)v), .. device.ToArray<int>(outputs.Slot).Select(v => (float)v),
                .. device.ToArray<int>(outputs.AssignmentRow).Select(v => (float)v), .. device.ToArray<int>(outputs.RowToken).Take(rows).Select(v => (float)v)];
        });
        Close.All(expected, actual, 1e-7, 1e-6, "routing");
    }
}
