// The training loop: micro-batches → forward/backward → NaN/Inf check → clip → AdamW, with
// progress lines (loss, tokens/s, MFU, router health, ETA), metrics.jsonl, periodic
// evaluation, and atomic checkpoints (the latest, and the best by validation loss).
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using SwitchNative.Devices;
using SwitchNative.Nn;

namespace SwitchNative.Training;

/// <summary>Thrown when a loss or gradient stops being finite; names the step and the tensor.</summary>
public sealed class TrainingDivergedException(string message) : Exception(message);

/// <summary>How a run ended.</summary>
/// <param name="Steps">Steps completed in total.</param>
/// <param name="ValidLoss">Final validation loss over the whole validation set (nats).</param>
/// <param name="ValidTokens">Validation predictions it averaged.</param>
/// <param name="TokensPerSecond">Training throughput of this session.</param>
/// <param name="StoppedByTimeBudget">True if the time budget ended the loop.</param>
public sealed record TrainingSummary(int Steps, double ValidLoss, long ValidTokens, double TokensPerSecond, bool StoppedByTimeBudget)
{
    /// <summary>exp(valid loss).</summary>
    public double ValidPerplexity => Math.Exp(ValidLoss);
}

/// <summary>Runs training for one model.</summary>
public sealed class Trainer(SwitchLm model, AdamWOptimizer optimizer, TrainingOptions options, Action<string> log, double? peakGflops)
{
    /// <summary>Metrics file in the run directory (one JSON object per logged step).</summary>
    public const string MetricsFile = "metrics.jsonl";

    /// <summary>Trains from <paramref name="progress"/> until MaxSteps or the time budget; evaluates on all of <paramref name="valid"/> at the end.</summary>
    public TrainingSummary Run(int[] train, int[] valid, TrainingProgress progress, CancellationToken cancellation = default)
    {
        options.Validate();
        var config = model.Config;
        var sampler = new BatchSampler(train, options.BatchSize, config.ContextLength, options.Seed);
        var schedule = new LearningRateSchedule(options.LearningRate, options.WarmupSteps, options.MaxSteps, options.Decay);
        Directory.CreateDirectory(options.RunDirectory);
        string metricsPath = Path.Combine(options.RunDirectory, MetricsFile);
        TruncateMetrics(metricsPath, progress.Step);
        double flopsPerToken = ModelFlops.PerTrainingToken(config);
        int tokensPerStep = options.BatchSize * config.ContextLength * options.GradientAccumulation;
        int switchLayers = Math.Max(config.SwitchLayerCount, 1);

        int firstStep = progress.Step;
        var clock = Stopwatch.StartNew();
        var windowClock = Stopwatch.StartNew();
        long sessionTokens = 0, windowTokens = 0;
        double windowLoss = 0;
        int windowSteps = 0, step = progress.Step;
        bool stoppedByBudget = false;
        LmForwardResult? last = null;
        while (step < options.MaxSteps)
        {
            if (cancellation.IsCancellationRequested)
            {
                if (step > 0) Checkpoint.Save(model, optimizer, progress, options.RunDirectory);
                cancellation.ThrowIfCancellationRequested();
            }
            if (options.TimeBudget is { } budget && clock.Elapsed >= budget)
            {
                stoppedByBudget = true;
                log($"time budget of {budget.TotalMinutes:F1} min reached at step {step}");
                break;
            }
            step++;
            model.ZeroGradients();
            double stepLoss = 0;
            for (int micro = 0; micro < options.GradientAccumulation; micro++)
            {
                var (inputs, targets) = sampler.Sample(step, micro, options.GradientAccumulation);
                last = model.Forward(inputs, targets, options.BatchSize, config.ContextLength, new SwitchPass(Training: true, Seed: options.Seed, Step: step * options.GradientAccumulation + micro));
                model.Backward(1f / tokensPerStep, 1f / (switchLayers * options.GradientAccumulation));
                stepLoss += (last.CrossEntropy + last.AuxLoss + last.ZLoss) / options.GradientAccumulation;
            }
            double norm = optimizer.ClipGradients(options.ClipNorm);
            if (!double.IsFinite(stepLoss) || !double.IsFinite(norm)) throw Diverged(step, stepLoss);
            double learningRate = schedule.At(step);
            optimizer.Step((float)learningRate, (float)options.WeightDecay);
            sessionTokens += tokensPerStep;
            windowTokens += tokensPerStep;
            windowLoss += stepLoss;
            windowSteps++;
            progress = progress with { Step = step, TokensSeen = progress.TokensSeen + tokensPerStep };

            bool evaluate = step % options.EvalEvery == 0 || step == options.MaxSteps;
            if (step % options.LogEvery == 0 || evaluate)
            {
                double tokensPerSecond = windowTokens / Math.Max(windowClock.Elapsed.TotalSeconds, 1e-9);
                double? validLoss = null;
                if (evaluate)
                {
                    validLoss = Evaluator.Evaluate(model, valid, options.BatchSize, options.EvalTokens).Loss;
                    if (validLoss < progress.BestValidLoss)
                    {
                        progress = progress with { BestValidLoss = validLoss.Value };
                        Checkpoint.SaveModel(model, Path.Combine(options.RunDirectory, Checkpoint.BestModelFile), step);
                    }
                    Checkpoint.Save(model, optimizer, progress, options.RunDirectory);
                }
                var record = new MetricsRecord(step, progress.TokensSeen, windowLoss / windowSteps, validLoss, validLoss is { } v ? Math.Exp(v) : null,
                    tokensPerSecond, peakGflops is { } peak ? flopsPerToken * tokensPerSecond / (peak * 1e9) : null, last!.DroppedFraction, learningRate, norm,
                    last.SwitchLayers.Select(layer => layer.TokensPerExpert.Select(count => (double)count / Math.Max(layer.TokensPerExpert.Sum(), 1)).ToArray()).ToArray());
                File.AppendAllText(metricsPath, JsonSerializer.Serialize(record) + "\n");
                log(ProgressLine(record, clock.Elapsed, step, firstStep, options));
                if (evaluate) log(RouterHealth(last));
                windowClock.Restart();
                windowTokens = 0;
                windowLoss = 0;
                windowSteps = 0;
            }
        }
        if (step > 0) Checkpoint.Save(model, optimizer, progress, options.RunDirectory);
        log($"final evaluation on all {valid.Length - 1:N0} validation predictions");
        var (finalLoss, finalCount) = Evaluator.Evaluate(model, valid, options.BatchSize);
        return new TrainingSummary(step, finalLoss, finalCount, sessionTokens / Math.Max(clock.Elapsed.TotalSeconds, 1e-9), stoppedByBudget);
    }

    // Finds the first parameter gradient that holds NaN or ±∞ and names it.
    private TrainingDivergedException Diverged(int step, double loss)
    {
        foreach (var (name, tensor) in model.Gradients.Entries)
        {
            var values = model.Device.ToArray(tensor);
            int bad = Array.FindIndex(values, value => !float.IsFinite(value));
            if (bad >= 0) return new TrainingDivergedException($"training diverged at step {step}: the gradient of '{name}' holds {values[bad]} (element {bad}); loss {loss}. Lower the learning rate or raise the clip.");
        }
        return new TrainingDivergedException($"training diverged at step {step}: the loss is {loss}. Lower the learning rate.");
    }

    // A resumed run rewrites history from its checkpoint: drop metric lines past that step.
    private static void TruncateMetrics(string path, int step)
    {
        if (!File.Exists(path)) return;
        var kept = File.ReadAllLines(path).Where(line => line.Length > 0 && JsonDocument.Parse(line).RootElement.GetProperty("step").GetInt32() <= step).ToList();
        File.WriteAllLines(path, kept);
    }

    private static string ProgressLine(MetricsRecord record, TimeSpan elapsed, int step, int firstStep, TrainingOptions options)
    {
        double secondsPerStep = elapsed.TotalSeconds / Math.Max(step - firstStep, 1);
        double remaining = (options.MaxSteps - step) * secondsPerStep;
        if (options.TimeBudget is { } budget) remaining = Math.Min(remaining, Math.Max(0, (budget - elapsed).TotalSeconds));
        int width = 20, filled = (int)Math.Round(width * (double)step / options.MaxSteps);
        string bar = new string('#', filled) + new string('.', width - filled);
        string valid = record.ValidLoss is { } loss ? $" | valid {loss:F3} (ppl {Math.Exp(loss):F1})" : "";
        return string.Create(CultureInfo.InvariantCulture,
            $"[{bar}] step {step}/{options.MaxSteps} | loss {record.TrainLoss:F3}{valid} | {record.TokensPerSecond:N0} tok/s{(record.Mfu is { } mfu ? $" | MFU {100 * mfu:F1}%" : "")} | lr {record.LearningRate:E1} | dropped {100 * record.DroppedFraction:F1}% | ETA {TimeSpan.FromSeconds(remaining):mm\\:ss}");
    }

    private static string RouterHealth(LmForwardResult result)
    {
        if (result.SwitchLayers.Count == 0) return "router health: dense model";
        var lines = new List<string> { "router health (last batch): layer | tokens per expert (% of routed) | dropped | top-1 p | entropy" };
        for (int i = 0; i < result.SwitchLayers.Count; i++)
        {
            var layer = result.SwitchLayers[i];
            double total = Math.Max(layer.TokensPerExpert.Sum(), 1);
            lines.Add(string.Create(CultureInfo.InvariantCulture,
                $"  switch {i} | {string.Join(" ", layer.TokensPerExpert.Select(count => $"{100 * count / total,4:F0}"))} | {100 * layer.DroppedFraction,5:F1}% | {layer.MeanTopProbability:F2} | {layer.RouterEntropy:F2}"));
        }
        return string.Join('\n', lines);
    }
}
