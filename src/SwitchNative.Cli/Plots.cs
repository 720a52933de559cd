// PNG plots of a run from its metrics.jsonl: the loss curves, and each Switch layer's
// per-expert share of the routed tokens over time (ScottPlot).
using System.Text.Json;
using SwitchNative.Training;

namespace SwitchNative.Cli;

public static class Plots
{
    /// <summary>Writes loss.png and expert-load-N.png into <paramref name="runDirectory"/>; returns the files written.</summary>
    public static IReadOnlyList<string> Write(string runDirectory)
    {
        string metricsPath = Path.Combine(runDirectory, Trainer.MetricsFile);
        if (!File.Exists(metricsPath)) return [];
        var records = File.ReadAllLines(metricsPath).Where(line => line.Length > 0).Select(line => JsonSerializer.Deserialize<MetricsRecord>(line)!).ToList();
        if (records.Count == 0) return [];
        var written = new List<string>();

        var loss = new ScottPlot.Plot();
        var train = loss.Add.Scatter(records.Select(r => (double)r.Step).ToArray(), records.Select(r => r.TrainLoss).ToArray());
        train.LegendText = "train loss";
        var evaluated = records.Where(r => r.ValidLoss is not null).ToList();
        if (evaluated.Count > 0)
        {
            var valid = loss.Add.Scatter(evaluated.Select(r => (double)r.Step).ToArray(), evaluated.Select(r => r.ValidLoss!.Value).ToArray());
            valid.LegendText = "valid loss";
        }
        loss.Title("Loss (nats per token)");
        loss.XLabel("step");
        loss.YLabel("cross-entropy");
        loss.ShowLegend();
        string lossPath = Path.Combine(runDirectory, "loss.png");
        loss.SavePng(lossPath, 900, 500);
        written.Add(lossPath);

        int layers = records[^1].ExpertLoad.Length;
        for (int layer = 0; layer < layers; layer++)
        {
            var load = new ScottPlot.Plot();
            var withLayer = records.Where(r => r.ExpertLoad.Length > layer).ToList();
            int experts = withLayer[^1].ExpertLoad[layer].Length;
            for (int expert = 0; expert < experts; expert++)
            {
                var line = load.Add.Scatter(withLayer.Select(r => (double)r.Step).ToArray(), withLayer.Select(r => r.ExpertLoad[layer].ElementAtOrDefault(expert)).ToArray());
                line.LegendText = $"expert {expert}";
                line.MarkerSize = 0;
            }
            load.Title($"Switch layer {layer}: share of routed tokens per expert (uniform = {1.0 / experts:F3})");
            load.XLabel("step");
            load.YLabel("fraction of tokens");
            load.ShowLegend();
            string path = Path.Combine(runDirectory, $"expert-load-{layer}.png");
            load.SavePng(path, 900, 500);
            written.Add(path);
        }
        return written;
    }
}
