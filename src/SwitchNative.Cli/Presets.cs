// Named starting points for `train`. Flags override any field.
using SwitchNative.Nn;
using SwitchNative.Training;

namespace SwitchNative.Cli;

/// <summary>A model configuration plus training options.</summary>
public sealed record Preset(string Name, string Description, Func<int, SwitchLmConfig> Model, TrainingOptions Training);

public static class Presets
{
    /// <summary>
    /// default: a small Switch LM (4 blocks, every 2nd a Switch layer of 8 experts) that trains
    /// on Brown within about 11 minutes of 2 cores, leaving time for data, evaluation and a sample.
    /// </summary>
    public static Preset Default(string runDirectory) => new("default", "small Switch LM, about 11 min of training on 2 cores",
        vocabulary => new SwitchLmConfig
        {
            VocabularySize = vocabulary, ContextLength = 64, ModelDim = 256, LayerCount = 4, HeadCount = 4, FfnDim = 512,
            SwitchEvery = 2, ExpertCount = 8, TopK = 1, CapacityFactor = 1.25, ZLossCoefficient = 1e-3,
        },
        new TrainingOptions
        {
            RunDirectory = runDirectory, BatchSize = 16, MaxSteps = 2400, TimeBudget = TimeSpan.FromMinutes(11), LearningRate = 2e-3,
            WarmupSteps = 100, Decay = DecayKind.Cosine, WeightDecay = 0.05, EvalEvery = 200, EvalTokens = 16_384, LogEvery = 20,
        });

    /// <summary>brown-base: a larger model and a longer run (hours on 2 cores).</summary>
    public static Preset BrownBase(string runDirectory) => new("brown-base", "larger Switch LM, long run",
        vocabulary => new SwitchLmConfig
        {
            VocabularySize = vocabulary, ContextLength = 128, ModelDim = 512, LayerCount = 6, HeadCount = 8, FfnDim = 1024,
            SwitchEvery = 2, ExpertCount = 16, TopK = 1, CapacityFactor = 1.25, ZLossCoefficient = 1e-3, Dropout = 0.1f, JitterEpsilon = 1e-2f,
        },
        new TrainingOptions
        {
            RunDirectory = runDirectory, BatchSize = 16, MaxSteps = 20_000, LearningRate = 1e-3, WarmupSteps = 500,
            Decay = DecayKind.InverseSquareRoot, WeightDecay = 0.1, EvalEvery = 500, EvalTokens = 65_536, LogEvery = 50,
        });

    /// <summary>dense: the default preset's dense baseline (same FLOPs per token, no Switch layers).</summary>
    public static Preset Dense(string runDirectory)
    {
        var baseline = Default(runDirectory);
        return baseline with { Name = "dense", Description = "dense baseline of the default preset (same FLOPs per token)", Model = vocabulary => baseline.Model(vocabulary).DenseBaseline() };
    }

    /// <summary>tiny: seconds-long runs for smoke tests.</summary>
    public static Preset Tiny(string runDirectory) => new("tiny", "tiny model for smoke tests",
        vocabulary => new SwitchLmConfig
        {
            VocabularySize = vocabulary, ContextLength = 16, ModelDim = 32, LayerCount = 2, HeadCount = 2, FfnDim = 64,
            SwitchEvery = 2, ExpertCount = 4, TopK = 1,
        },
        new TrainingOptions { RunDirectory = runDirectory, BatchSize = 4, MaxSteps = 20, LearningRate = 3e-3, WarmupSteps = 5, EvalEvery = 10, EvalTokens = 512, LogEvery = 5 });

    /// <summary>The preset called <paramref name="name"/>.</summary>
    public static Preset ByName(string name, string runDirectory) => name switch
    {
        "default" => Default(runDirectory),
        "brown-base" => BrownBase(runDirectory),
        "dense" => Dense(runDirectory),
        "tiny" => Tiny(runDirectory),
        _ => throw new ArgumentException($"unknown preset '{name}'; presets: default, brown-base, dense, tiny"),
    };
}
