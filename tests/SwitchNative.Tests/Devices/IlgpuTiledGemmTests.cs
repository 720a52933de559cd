// The shared-memory tiled GEMM that GPUs run, checked on ILGPU's CPU accelerator (which runs
// the direct kernel by default) on shapes off the 8×8 tile, all transposes and β.
using SwitchNative.Devices;
using SwitchNative.Devices.Reference;
using SwitchNative.Ilgpu;
using SwitchNative.Tests.Infrastructure;

namespace SwitchNative.Tests.Devices;

public sealed class IlgpuTiledGemmTests
{
    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(9, 17, 7)]
    [InlineData(16, 8, 24)]
    [InlineData(13, 33, 20)]
    public void Tiled_gemm_matches_reference(int m, int k, int n)
    {
        using var tiled = new IlgpuDevice(IlgpuAcceleratorKind.Cpu, tiledGemm: true);
        using var reference = new ReferenceDevice();
        Assert.True(tiled.TiledGemm);
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
}
