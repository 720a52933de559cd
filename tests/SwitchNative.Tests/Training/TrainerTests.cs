// The training loop: bit-exact resume, NaN/Inf detection naming the step and tensor, metrics
// and checkpoint files, and the learning-rate schedule.
using System.Text.Json;
using SwitchNative.Devices;
using SwitchNative.Devices.Cpu;
using SwitchNative.Nn;
using SwitchNative.Tests.Infrastructure;
using SwitchNative.Training;

namespace SwitchNative.Tests.Training;

public sealed class TrainerTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"switchnative-trainer-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    private static readonly SwitchLmConfig Tiny = new()
    {
        VocabularySize = 40, ContextLength = 8, ModelDim = 16, LayerCount = 2, HeadCount = 2, FfnDim = 24, SwitchEvery = 2, ExpertCount = 4,
        JitterEpsilon = 0.01f, Dropout = 0.1f, ExpertDropout = 0.1f,
    };

    // A learnable stream: mostly t → (3t + 1) mod 40, with some noise.
    private static int[] Stream(int length, int seed)
    {
        var random = new System.Random(seed);
        var tokens = new int[length];
        for (int i = 1; i < length; i++) tokens[i] = random.Next(10) == 0 ? random.Next(40) : (3 * tokens[i - 1] + 1) % 40;
        return tokens;
    }

    private TrainingOptions Options(string name, int maxSteps) => new()
    {
        RunDirectory = Path.Combine(_root, name), BatchSize = 4, GradientAccumulation = 2, MaxSteps = maxSteps, LearningRate = 1e-2,
        WarmupSteps = 3, EvalEvery = 4, EvalTokens = 200, LogEvery = 2, Seed = 5,
    };

    private static (TrainingSummary Summary, float[] Parameters) TrainFresh(TrainingOptions options, int[] train, int[] valid)
    {
        using var device = new CpuDevice(2);
        using var model = new SwitchLm(device, Tiny);
        model.Initialize(options.Seed);
        using var optimizer = new AdamWOptimizer(device, model.Parameters, model.Gradients, SwitchLmParameters.DecayedElementCount(Tiny));
        var summary = new Trainer(model, optimizer, options, _ => { }, 100).Run(train, valid, new TrainingProgress(0, 0, double.PositiveInfinity));
        return (summary, device.ToArray(model.Parameters.Flat));
    }

    private static List<JsonElement> Metrics(string runDirectory) =>
        File.ReadAllLines(Path.Combine(runDirectory, Trainer.MetricsFile)).Select(line => JsonDocument.Parse(line).RootElement).ToList();

    [Fact]
    public void Resuming_continues_bit_exactly_as_if_never_stopped()
    {
        var train = Stream(3000, 1);
        var valid = Stream(400, 2);
        var uninterrupted = Options("whole", 12);
        var (wholeSummary, wholeParameters) = TrainFresh(uninterrupted, train, valid);

        // Interrupt the same run after step 8 as Ctrl+C would (the trainer saves, then stops), then resume.
        var interrupted = Options("split", 12);
        using (var first = new CpuDevice(2))
        using (var firstModel = new SwitchLm(first, Tiny))
        {
            firstModel.Initialize(interrupted.Seed);
            using var firstOptimizer = new AdamWOptimizer(first, firstModel.Parameters, firstModel.Gradients, SwitchLmParameters.DecayedElementCount(Tiny));
            using var interrupt = new CancellationTokenSource();
            var trainer = new Trainer(firstModel, firstOptimizer, interrupted, line => { if (line.Contains("step 8/")) interrupt.Cancel(); }, 100);
            Assert.ThrowsAny<OperationCanceledException>(() => trainer.Run(train, valid, new TrainingProgress(0, 0, double.PositiveInfinity), interrupt.Token));
        }
        using var device = new CpuDevice(2);
        var (model, optimizer, progress) = Checkpoint.LoadTrainingState(device, interrupted.RunDirectory);
        using (model)
        using (optimizer)
        {
            Assert.Equal(8, progress.Step);
            var resumed = new Trainer(model, optimizer, interrupted, _ => { }, 100).Run(train, valid, progress);
            Close.Bitwise(wholeParameters, device.ToArray(model.Parameters.Flat), "parameters after 12 steps");
            Assert.Equal(wholeSummary.ValidLoss, resumed.ValidLoss);
        }
        var expected = Metrics(uninterrupted.RunDirectory);
        var actual = Metrics(interrupted.RunDirectory);
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
            foreach (var field in new[] { "step", "tokens", "train_loss", "valid_loss", "dropped_fraction", "lr", "grad_norm" })
                Assert.Equal(expected[i].GetProperty(field).ToString(), actual[i].GetProperty(field).ToString());
    }

    [Fact]
    public void A_run_writes_metrics_checkpoints_and_learns()
    {
        var options = Options("learn", 40) with { LearningRate = 2e-2, EvalEvery = 20 };
        var (summary, _) = TrainFresh(options, Stream(4000, 3), Stream(500, 4));
        foreach (var file in new[] { Checkpoint.ModelFile, Checkpoint.BestModelFile, Checkpoint.StateFile, Checkpoint.ConfigFile, Trainer.MetricsFile })
            Assert.True(File.Exists(Path.Combine(options.RunDirectory, file)), file);
        var metrics = Metrics(options.RunDirectory);
        foreach (var field in new[] { "step", "tokens", "train_loss", "valid_loss", "valid_ppl", "tokens_per_s", "mfu", "dropped_fraction", "lr" })
            Assert.True(metrics[0].TryGetProperty(field, out _), field);
        // ln 40 = 3.69 at chance; the stream is 90 % predictable.
        Assert.True(summary.ValidLoss < 2.5, $"validation loss {summary.ValidLoss}");
    }

    [Fact]
    public void Without_a_peak_the_metrics_carry_no_mfu()
    {
        // A GPU run: no measured peak, so "mfu" is null and the progress line has no MFU.
        using var device = new CpuDevice(1);
        using var model = new SwitchLm(device, Tiny);
        model.Initialize(5);
        using var optimizer = new AdamWOptimizer(device, model.Parameters, model.Gradients, SwitchLmParameters.DecayedElementCount(Tiny));
        var options = Options("no-peak", 4);
        var lines = new List<string>();
        new Trainer(model, optimizer, options, lines.Add, peakGflops: null).Run(Stream(2000, 1), Stream(300, 2), new TrainingProgress(0, 0, double.PositiveInfinity));
        var metrics = Metrics(options.RunDirectory);
        Assert.All(metrics, line => Assert.Equal(JsonValueKind.Null, line.GetProperty("mfu").ValueKind));
        var progress = lines.Where(line => line.Contains(" tok/s", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(progress);
        Assert.All(progress, line => Assert.DoesNotContain("MFU", line, StringComparison.Ordinal));
    }

    [Fact]
    public void A_non_finite_gradient_stops_training_naming_the_step_and_tensor()
    {
        using var device = new CpuDevice(2);
        using var model = new SwitchLm(device, Tiny with { Dropout = 0, JitterEpsilon = 0, ExpertDropout = 0 });
        model.Initialize(1);
        device.CopyFromHost<float>(Enumerable.Repeat(float.NaN, 16).ToArray(), model.Parameters["final_norm.weight"]);
        using var optimizer = new AdamWOptimizer(device, model.Parameters, model.Gradients, SwitchLmParameters.DecayedElementCount(model.Config));
        var trainer = new Trainer(model, optimizer, Options("nan", 5), _ => { }, 100);
        var error = Assert.Throws<TrainingDivergedException>(() => trainer.Run(Stream(500, 1), Stream(100, 2), new TrainingProgress(0, 0, double.PositiveInfinity)));
        Assert.Contains("step 1", error.Message);
        Assert.Contains("gradient of '", error.Message);
    }

    [Theory]
    [InlineData(DecayKind.Cosine, 1, 0.1)]
    [InlineData(DecayKind.Cosine, 10, 1.0)]
    [InlineData(DecayKind.Cosine, 110, 0.1)]
    [InlineData(DecayKind.Cosine, 60, 0.55)]
    [InlineData(DecayKind.InverseSquareRoot, 40, 0.5)]
    [InlineData(DecayKind.Constant, 100, 1.0)]
    public void Learning_rate_schedule_warms_up_then_decays(DecayKind decay, int step, double expected)
    {
        var schedule = new LearningRateSchedule(1.0, 10, 110, decay, MinimumFraction: 0.1);
        Assert.Equal(expected, schedule.At(step), 6);
    }

    [Fact]
    public void Batches_are_a_pure_function_of_seed_and_step()
    {
        var tokens = Stream(1000, 1);
        var first = new BatchSampler(tokens, 4, 8, 9).Sample(17, 1, 2);
        var second = new BatchSampler(tokens, 4, 8, 9).Sample(17, 1, 2);
        Assert.Equal(first.Tokens, second.Tokens);
        Assert.NotEqual(first.Tokens, new BatchSampler(tokens, 4, 8, 9).Sample(18, 1, 2).Tokens);
        for (int i = 0; i < 4 * 8; i++)
            if (i % 8 != 7) Assert.Equal(first.Targets[i], first.Tokens[i + 1]);
    }
}
