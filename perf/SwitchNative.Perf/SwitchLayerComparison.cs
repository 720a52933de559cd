// `compare switch-layer`: forward + backward of one Switch layer on the cpu device against the
// PyTorch peer (perf/peers/switch_layer_peer.py) in the same run, with the expert GEMMs'
// GFLOP/s and the share of the step spent outside matrix products.
using System.Diagnostics;
using System.Text.Json;
using SwitchNative.Devices;
using SwitchNative.Devices.Cpu;
using SwitchNative.Devices.Profiling;
using SwitchNative.Nn;
using SwitchNative.Tensors;

namespace SwitchNative.Perf;

public static class SwitchLayerComparison
{
    /// <summary>The shapes of the issue: (T, d, f, E).</summary>
    public static readonly (int Tokens, int ModelDim, int FfnDim, int Experts)[] Shapes = [(4096, 512, 2048, 8), (4096, 512, 2048, 64), (512, 512, 2048, 8)];

    public static void Run(int repeats, bool json)
    {
        int threads = Environment.ProcessorCount;
        if (!json) Console.WriteLine($"{"T×d×f, E",-22} {"ours ms",9} {"peer ms",9} {"speed-up",9} {"expert GFLOP/s",15} {"outside GEMM",13}");
        foreach (var (tokens, modelDim, ffnDim, experts) in Shapes)
        {
            var settings = new SwitchLayerSettings { ModelDim = modelDim, FfnDim = ffnDim, ExpertCount = experts, CapacityFactor = 1.25, ZLossCoefficient = 1e-3 };
            var profiler = new ProfilingDevice(new CpuDevice(threads));
            IDevice device = profiler;
            using var parameters = new TensorSet(device, SwitchLayerWeights.Layout(settings));
            using var gradients = parameters.CreateLike(device);
            device.FillTruncatedNormal(1, 1, 0f, 0.02f, parameters["router.weight"]);
            device.FillTruncatedNormal(1, 2, 0f, 1f / MathF.Sqrt(modelDim), parameters["experts.w1"]);
            device.FillTruncatedNormal(1, 3, 0f, 1f / MathF.Sqrt(ffnDim), parameters["experts.w2"]);
            using var x = device.Allocate([tokens, modelDim]);
            using var y = device.Allocate([tokens, modelDim]);
            using var dy = device.Allocate([tokens, modelDim]);
            using var dx = device.Allocate([tokens, modelDim]);
            device.FillNormal(2, 1, 0f, 1f, x);
            device.FillNormal(2, 2, 0f, 1f, dy);
            using var layer = new SwitchLayer(device, settings);
            var weights = SwitchLayerWeights.From(parameters);
            var gradientWeights = SwitchLayerWeights.From(gradients);
            var samples = new List<double>();
            SwitchLayerResult? result = null;
            for (int run = 0; run < repeats + 1; run++)
            {
                profiler.Reset();
                var stopwatch = Stopwatch.StartNew();
                result = layer.Forward(x, weights, new SwitchPass(Training: true, Seed: 1, Step: run), y);
                layer.Backward(dy, weights, gradientWeights, dx);
                if (run > 0) samples.Add(stopwatch.Elapsed.TotalMilliseconds);
            }
            samples.Sort();
            double ours = samples[samples.Count / 2];
            // Timings of the last step: expert products are the grouped GEMMs; everything but GEMMs is "outside".
            var timings = profiler.Timings;
            double total = timings.Sum(t => t.Time.TotalMilliseconds);
            double gemm = timings.Where(t => ProfilingDevice.MatrixProducts.Contains(t.Op)).Sum(t => t.Time.TotalMilliseconds);
            double expertGemm = timings.Where(t => t.Op is nameof(IDevice.GroupedGemm) or nameof(IDevice.GroupedGemmWeightGradient)).Sum(t => t.Time.TotalMilliseconds);
            double expertFlops = 12.0 * result!.Routing.RowCount * modelDim * ffnDim; // 2 forward + 4 backward products of 2·R·d·f
            double peer = PeerMilliseconds(tokens, modelDim, ffnDim, experts, repeats, threads, out string peerNote);
            string shape = $"{tokens}×{modelDim}×{ffnDim}, {experts}";
            if (json)
                Console.WriteLine(JsonSerializer.Serialize(new { shape, threads, ours_ms = ours, peer_ms = peer, speedup = peer / ours, expert_gflops = expertFlops / expertGemm / 1e6, outside_gemm_share = 1 - gemm / total, peer_note = peerNote }));
            else
                Console.WriteLine($"{shape,-22} {ours,9:F1} {peer,9:F1} {peer / ours,8:F2}× {expertFlops / expertGemm / 1e6,15:F1} {100 * (1 - gemm / total),12:F1}%{(peerNote.Length > 0 ? "  " + peerNote : "")}");
            if (!json)
                Console.WriteLine("    " + string.Join(", ", timings.Take(8).Select(t => $"{t.Op} {t.Time.TotalMilliseconds:F1} ms")));
        }
    }

    // Runs the PyTorch peer for one shape; NaN with a note when python3 or torch is missing.
    private static double PeerMilliseconds(int tokens, int modelDim, int ffnDim, int experts, int repeats, int threads, out string note)
    {
        var script = Path.Combine(RepositoryPaths.Root, "perf", "peers", "switch_layer_peer.py");
        var start = new ProcessStartInfo("python3", $"\"{script}\" --tokens {tokens} --d-model {modelDim} --d-ff {ffnDim} --experts {experts} --capacity-factor 1.25 --repeats {repeats} --threads {threads}")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        // Debian's torch lives in the system Python; prefer it over a pyenv shim when present.
        if (File.Exists("/usr/bin/python3")) start.FileName = "/usr/bin/python3";
        try
        {
            using var process = Process.Start(start)!;
            string output = process.StandardOutput.ReadToEnd();
            string error = process.StandardError.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
            {
                note = error.Contains("No module named 'torch'") ? "peer skipped: install PyTorch with 'apt-get install python3-torch'" : $"peer failed: {error.Trim().Split('\n').Last()}";
                return double.NaN;
            }
            note = "";
            return JsonDocument.Parse(output).RootElement.GetProperty("median_ms").GetDouble();
        }
        catch (System.ComponentModel.Win32Exception)
        {
            note = "peer skipped: python3 is not installed";
            return double.NaN;
        }
    }
}
