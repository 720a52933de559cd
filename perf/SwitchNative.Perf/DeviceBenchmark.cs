// `device [--device NAME] [--peak-gflops X]`: times a Switch layer forward+backward and a
// training step of a small Switch LM on any device (meant for ilgpu-cuda on a GPU machine;
// on a machine without one it runs on ilgpu-cpu to show it works) and prints GFLOP/s and,
// given the device's FP32 peak, the fraction of it.
using System.Diagnostics;
using SwitchNative.Devices;
using SwitchNative.Devices.Profiling;
using SwitchNative.Ilgpu;
using SwitchNative.Nn;
using SwitchNative.Tensors;
using SwitchNative.Training;

namespace SwitchNative.Perf;

public static class DeviceBenchmark
{
    public static void Run(string deviceName, double? peakGflops)
    {
        using var device = DeviceRegistry.CreateDefault().AddIlgpu().Create(deviceName);
        // Full size on a real accelerator; small on the CPU emulation, which is for correctness only.
        bool emulated = deviceName is "ilgpu-cpu" or "reference";
        var settings = emulated
            ? new SwitchLayerSettings { ModelDim = 64, FfnDim = 128, ExpertCount = 4 }
            : new SwitchLayerSettings { ModelDim = 512, FfnDim = 2048, ExpertCount = 8 };
        int tokens = emulated ? 256 : 4096;
        Console.WriteLine($"device {device.Description}; Switch layer T {tokens}, d {settings.ModelDim}, f {settings.FfnDim}, E {settings.ExpertCount}");
        TimeGemm(device, emulated ? 256 : 4096, peakGflops);
        using var weights = new TensorSet(device, SwitchLayerWeights.Layout(settings));
        using var gradients = weights.CreateLike(device);
        device.FillTruncatedNormal(1, 1, 0f, 0.05f, weights.Flat);
        using var x = device.Allocate([tokens, settings.ModelDim]);
        using var y = device.Allocate([tokens, settings.ModelDim]);
        using var dx = device.Allocate([tokens, settings.ModelDim]);
        device.FillNormal(1, 2, 0f, 1f, x);
        using var layer = new SwitchLayer(device, settings);
        var samples = new List<double>();
        SwitchLayerResult? result = null;
        for (int run = 0; run < 4; run++)
        {
            var stopwatch = Stopwatch.StartNew();
            result = layer.Forward(x, SwitchLayerWeights.From(weights), new SwitchPass(Training: true, Step: run), y);
            layer.Backward(y, SwitchLayerWeights.From(weights), SwitchLayerWeights.From(gradients), dx);
            device.Synchronize();
            if (run > 0) samples.Add(stopwatch.Elapsed.TotalSeconds);
        }
        samples.Sort();
        double flops = 12.0 * result!.Routing.RowCount * settings.ModelDim * settings.FfnDim + 6.0 * tokens * settings.ModelDim * settings.ExpertCount;
        Report("Switch layer fwd+bwd", samples[samples.Count / 2], flops, peakGflops);

        var config = emulated
            ? new SwitchLmConfig { VocabularySize = 256, ContextLength = 32, ModelDim = 64, LayerCount = 2, HeadCount = 2, FfnDim = 128, ExpertCount = 4 }
            : new SwitchLmConfig { VocabularySize = 16384, ContextLength = 128, ModelDim = 512, LayerCount = 6, HeadCount = 8, FfnDim = 2048, ExpertCount = 8 };
        int batch = emulated ? 4 : 16;
        using var models = new TrainingModels(device, config);
        var tokenIds = Enumerable.Range(0, batch * config.ContextLength).Select(i => i * 7919 % config.VocabularySize).ToArray();
        samples.Clear();
        for (int run = 0; run < 4; run++)
        {
            double seconds = TimeTrainingStep(device, config, batch, tokenIds, run, models);
            if (run > 0) samples.Add(seconds);
        }
        samples.Sort();
        Report("training step", samples[samples.Count / 2], ModelFlops.PerTrainingToken(config) * batch * config.ContextLength, peakGflops);

        // Where a step's time goes: the same step with every op timed (the profiler waits for
        // each op to finish, so the sum exceeds the step above; the shares are what matter).
        var profiler = new ProfilingDevice(device);
        var profiledModels = new TrainingModels(profiler, config);
        TimeTrainingStep(profiler, config, batch, tokenIds, 0, profiledModels);
        profiler.Reset();
        double total = TimeTrainingStep(profiler, config, batch, tokenIds, 1, profiledModels);
        profiledModels.Dispose();
        Console.WriteLine($"training step op by op ({total * 1000:F1} ms with a wait after each op):");
        foreach (var timing in profiler.Timings.Take(14))
            Console.WriteLine($"  {timing.Op,-30} {timing.Time.TotalMilliseconds,9:F2} ms {timing.Calls,6} calls {100 * timing.Time.TotalSeconds / total,6:F1}%");
    }

    // A model and its optimizer on one device.
    private sealed class TrainingModels : IDisposable
    {
        public TrainingModels(IDevice device, SwitchLmConfig config)
        {
            Model = new SwitchLm(device, config);
            Model.Initialize(1);
            Optimizer = new AdamWOptimizer(device, Model.Parameters, Model.Gradients, SwitchLmParameters.DecayedElementCount(config));
        }

        public SwitchLm Model { get; }
        public AdamWOptimizer Optimizer { get; }

        public void Dispose()
        {
            Optimizer.Dispose();
            Model.Dispose();
        }
    }

    // One optimizer step (forward, backward, AdamW) and its wall time in seconds.
    private static double TimeTrainingStep(IDevice device, SwitchLmConfig config, int batch, int[] tokenIds, int step, TrainingModels models)
    {
        var stopwatch = Stopwatch.StartNew();
        models.Model.ZeroGradients();
        var forward = models.Model.Forward(tokenIds, tokenIds, batch, config.ContextLength, new SwitchPass(Training: true, Step: step));
        models.Model.Backward(1f / forward.TokenCount, 1f / config.SwitchLayerCount);
        models.Optimizer.Step(1e-3f, 0.01f);
        device.Synchronize();
        return stopwatch.Elapsed.TotalSeconds;
    }

    // One square product C = A·B, the ceiling every model op is measured against.
    private static void TimeGemm(IDevice device, int size, double? peakGflops)
    {
        using var a = device.Allocate([size, size]);
        using var b = device.Allocate([size, size]);
        using var c = device.Allocate([size, size]);
        device.FillNormal(1, 3, 0f, 1f, a);
        device.FillNormal(1, 4, 0f, 1f, b);
        var samples = new List<double>();
        for (int run = 0; run < 6; run++)
        {
            var stopwatch = Stopwatch.StartNew();
            device.Gemm(a, false, b, false, 1f, 0f, c);
            device.Synchronize();
            if (run > 0) samples.Add(stopwatch.Elapsed.TotalSeconds);
        }
        samples.Sort();
        Report($"GEMM {size}³", samples[samples.Count / 2], 2.0 * size * size * size, peakGflops);
    }

    private static void Report(string what, double seconds, double flops, double? peakGflops)
    {
        double gflops = flops / seconds / 1e9;
        string fraction = peakGflops is { } peak ? $", {100 * gflops / peak:F1}% of the {peak:F0} GFLOP/s FP32 peak" : " (pass --peak-gflops to see the fraction of peak)";
        Console.WriteLine($"{what,-22} {seconds * 1000,9:F1} ms  {gflops,8:F1} GFLOP/s{fraction}");
    }
}
