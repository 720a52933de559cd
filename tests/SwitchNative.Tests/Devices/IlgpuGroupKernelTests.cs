// The kernels in which a thread group cooperates through shared memory — what GPUs run —
// checked on ILGPU's CPU accelerator (which runs the one-thread-per-output forms by default):
// the tiled GEMM on shapes off the 8×8 tile, all transposes and β; the cross-entropy with one
// group per row on vocabularies below, at and above the group size, with ignored rows.
using SwitchNative.Devices;
using SwitchNative.Devices.Reference;
using SwitchNative.Ilgpu;
using SwitchNative.Tests.Infrastructure;

namespace SwitchNative.Tests.Devices;

public sealed class IlgpuGroupKernelTests
{
    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(9, 17, 7)]
    [InlineData(16, 8, 24)]
    [InlineData(13, 33, 20)]
    public void Tiled_gemm_matches_reference(int m, int k, int n)
    {
        using var tiled = new IlgpuDevice(IlgpuAcceleratorKind.Cpu, groupKernels: true);
        using var reference = new ReferenceDevice();
        Assert.True(tiled.GroupKernels);
        foreach (var (transposeA, transposeB) in new[] { (false, false), (true, false), (false, true), (true, true) })
        {
            var a = TestData.Uniform(m * k, seed: 1);
            var b = TestData.Uniform(k * n, seed: 2);
            var c = TestData.Uniform(m * n, seed: 3);
            float[] Run(IDevice device)
            {
                using var left = device.FromArray<float>(a, transposeA ? [k, m] : [m, k]);
                using var right = device.FromArray<float>(b, transposeB ? [n, k] : [k, n]);
                using var output = device.FromArray<float>(c, [m, n]);
                device.Gemm(left, transposeA, right, transposeB, 0.5f, -1f, output);
                return device.ToArray(output);
            }
            // |entries| ≤ 1: a float sum of k products is within k·2⁻²⁴·k of the double sum.
            Close.All(Run(reference), Run(tiled), 1e-6 * k + 1e-6, 1e-6, $"tiled GEMM {m}×{k}×{n} tA={transposeA} tB={transposeB}");
        }
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 7)]
    [InlineData(5, 64)]
    [InlineData(4, 65)]
    [InlineData(6, 300)]
    public void Group_cross_entropy_matches_reference(int rows, int vocabulary)
    {
        using var grouped = new IlgpuDevice(IlgpuAcceleratorKind.Cpu, groupKernels: true);
        using var reference = new ReferenceDevice();
        // Logits spread over ±8 so exp(x − max) spans many magnitudes; row 1 is ignored.
        var logits = TestData.Uniform(rows * vocabulary, seed: 4).Select(value => 8f * value).ToArray();
        var targets = Enumerable.Range(0, rows).Select(row => row == 1 ? -100 : (row * 37) % vocabulary).ToArray();
        (float[] Probabilities, float[] Losses) Run(IDevice device)
        {
            using var input = device.FromArray<float>(logits, [rows, vocabulary]);
            using var labels = device.FromArray<int>(targets, [rows]);
            using var probabilities = device.Allocate([rows, vocabulary]);
            using var losses = device.Allocate([rows]);
            device.SoftmaxCrossEntropy(input, labels, -100, probabilities, losses);
            return (device.ToArray(probabilities), device.ToArray(losses));
        }
        var (expectedProbabilities, expectedLosses) = Run(reference);
        var (probabilities, losses) = Run(grouped);
        // Float exp against the reference's double: a few ulp of each probability and loss.
        Close.All(expectedProbabilities, probabilities, 1e-7, 1e-5, $"probabilities {rows}×{vocabulary}");
        Close.All(expectedLosses, losses, 1e-6, 1e-5, $"losses {rows}×{vocabulary}");
        if (rows > 1) Assert.Equal(0f, losses[1]);
    }
}
