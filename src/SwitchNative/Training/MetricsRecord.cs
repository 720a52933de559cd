// One line of metrics.jsonl, with the field names the issue and the plotting code use.
using System.Text.Json.Serialization;

namespace SwitchNative.Training;

/// <summary>One line of metrics.jsonl.</summary>
public sealed record MetricsRecord(
    [property: JsonPropertyName("step")] int Step,
    [property: JsonPropertyName("tokens")] long Tokens,
    [property: JsonPropertyName("train_loss")] double TrainLoss,
    [property: JsonPropertyName("valid_loss")] double? ValidLoss,
    [property: JsonPropertyName("valid_ppl")] double? ValidPerplexity,
    [property: JsonPropertyName("tokens_per_s")] double TokensPerSecond,
    [property: JsonPropertyName("mfu")] double? Mfu,
    [property: JsonPropertyName("dropped_fraction")] double DroppedFraction,
    [property: JsonPropertyName("lr")] double LearningRate,
    [property: JsonPropertyName("grad_norm")] double GradientNorm,
    [property: JsonPropertyName("expert_load")] double[][] ExpertLoad);
