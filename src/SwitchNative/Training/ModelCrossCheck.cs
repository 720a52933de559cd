// Cross-device runs: the same config, seed and batches on two devices in lockstep, compared
// after every forward (activations, logits, loss), backward (every gradient) and optimizer
// step (every parameter), plus the routing decisions of every Switch layer. A decision may
// only differ where the two top probabilities tie within float rounding; such tokens are named.
using SwitchNative.Devices;
using SwitchNative.Nn;

namespace SwitchNative.Training;

/// <summary>One compared tensor at one step.</summary>
/// <param name="Step">1-based step.</param>
/// <param name="Phase">forward, backward or update.</param>
/// <param name="Name">Tensor name.</param>
/// <param name="MaxAbsoluteDifference">max |a − b|.</param>
/// <param name="MaxRelativeDifference">max |a − b| / max(|a|, |b|) over elements above the absolute tolerance.</param>
/// <param name="Passed">Within absolute + relative·max(|a|, |b|) everywhere.</param>
public sealed record CrossCheckRow(int Step, string Phase, string Name, double MaxAbsoluteDifference, double MaxRelativeDifference, bool Passed);

/// <summary>Routing decisions that differ between the devices at one step.</summary>
/// <param name="Step">1-based step.</param>
/// <param name="Layer">Block index.</param>
/// <param name="Differing">Assignments whose expert differs.</param>
/// <param name="Ties">Of those, the ones where the two devices' chosen probabilities are within the tie tolerance (listed as "token t").</param>
public sealed record RoutingDifference(int Step, int Layer, int Differing, IReadOnlyList<string> Ties)
{
    /// <summary>Every difference is explained by a near-tie.</summary>
    public bool Explained => Differing == Ties.Count;
}

/// <summary>Runs two devices side by side.</summary>
public static class ModelCrossCheck
{
    /// <summary>Probabilities closer than this are a tie within float rounding.</summary>
    public const double TieTolerance = 1e-5;

    /// <summary>
    /// Trains <paramref name="steps"/> steps of <paramref name="config"/> on both devices from the same
    /// seed and batches and reports every tensor. Tolerances: absolute + relative·max(|a|, |b|).
    /// </summary>
    public static (List<CrossCheckRow> Rows, List<RoutingDifference> Routing) Run(IDevice first, IDevice second, SwitchLmConfig config, int[] tokens,
        int batch, int steps, ulong seed, double absolute, double relative)
    {
        using var a = new SwitchLm(first, config);
        using var b = new SwitchLm(second, config);
        a.Initialize(seed);
        b.Initialize(seed);
        long decayed = SwitchLmParameters.DecayedElementCount(config);
        using var optimizerA = new AdamWOptimizer(first, a.Parameters, a.Gradients, decayed);
        using var optimizerB = new AdamWOptimizer(second, b.Parameters, b.Gradients, decayed);
        var sampler = new BatchSampler(tokens, batch, config.ContextLength, seed);
        var rows = new List<CrossCheckRow>();
        var routing = new List<RoutingDifference>();
        int switchLayers = Math.Max(config.SwitchLayerCount, 1);
        rows.Add(Compare(0, "init", "parameters", first.ToArray(a.Parameters.Flat), second.ToArray(b.Parameters.Flat), absolute, relative));
        for (int step = 1; step <= steps; step++)
        {
            var (inputs, targets) = sampler.Sample(step, 0, 1);
            var pass = new SwitchPass(Training: true, Seed: seed, Step: step);
            var resultA = a.Forward(inputs, targets, batch, config.ContextLength, pass);
            var resultB = b.Forward(inputs, targets, batch, config.ContextLength, pass);
            foreach (var ((name, tensorA), (_, tensorB)) in a.LastActivations().Zip(b.LastActivations()))
                rows.Add(Compare(step, "forward", name, first.ToArray(tensorA), second.ToArray(tensorB), absolute, relative));
            double lossA = resultA.CrossEntropy + resultA.AuxLoss + resultA.ZLoss, lossB = resultB.CrossEntropy + resultB.AuxLoss + resultB.ZLoss;
            rows.Add(Compare(step, "forward", "loss", [(float)lossA], [(float)lossB], absolute, relative));
            foreach (var ((layer, indexA, probabilitiesA), (_, indexB, _)) in a.LastRoutingDecisions().Zip(b.LastRoutingDecisions()))
                routing.Add(CompareRouting(step, layer, first.ToArray<int>(indexA), second.ToArray<int>(indexB), first.ToArray(probabilitiesA), config.ExpertCount));

            a.ZeroGradients();
            b.ZeroGradients();
            a.Backward(1f / resultA.TokenCount, 1f / switchLayers);
            b.Backward(1f / resultB.TokenCount, 1f / switchLayers);
            foreach (var ((name, gradientA), (_, gradientB)) in a.Gradients.Entries.Zip(b.Gradients.Entries))
                rows.Add(Compare(step, "backward", "grad." + name, first.ToArray(gradientA), second.ToArray(gradientB), absolute, relative));

            optimizerA.Step(1e-3f, 0.01f);
            optimizerB.Step(1e-3f, 0.01f);
            foreach (var ((name, parameterA), (_, parameterB)) in a.Parameters.Entries.Zip(b.Parameters.Entries))
                rows.Add(Compare(step, "update", name, first.ToArray(parameterA), second.ToArray(parameterB), absolute, relative));
        }
        return (rows, routing);
    }

    private static CrossCheckRow Compare(int step, string phase, string name, float[] a, float[] b, double absolute, double relative)
    {
        double maxAbsolute = 0, maxRelative = 0;
        bool passed = a.Length == b.Length;
        for (int i = 0; passed && i < a.Length; i++)
        {
            double scale = Math.Max(Math.Abs(a[i]), Math.Abs(b[i]));
            double difference = Math.Abs((double)a[i] - b[i]);
            if (double.IsNaN(difference)) difference = double.PositiveInfinity;
            maxAbsolute = Math.Max(maxAbsolute, difference);
            if (scale > absolute) maxRelative = Math.Max(maxRelative, difference / scale);
            passed &= difference <= absolute + relative * scale;
        }
        return new CrossCheckRow(step, phase, name, maxAbsolute, maxRelative, passed);
    }

    // An assignment whose expert differs is a tie when device A's probabilities of the two experts are within TieTolerance.
    private static RoutingDifference CompareRouting(int step, int layer, int[] a, int[] b, float[] probabilities, int experts)
    {
        int width = a.Length / Math.Max(probabilities.Length / experts, 1);
        var ties = new List<string>();
        int differing = 0;
        for (int i = 0; i < a.Length; i++)
        {
            if (a[i] == b[i]) continue;
            differing++;
            int token = i / width;
            if (Math.Abs(probabilities[token * experts + a[i]] - probabilities[token * experts + b[i]]) <= TieTolerance) ties.Add($"token {token}");
        }
        return new RoutingDifference(step, layer, differing, ties);
    }
}
