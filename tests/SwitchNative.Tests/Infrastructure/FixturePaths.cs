// Where the copied test fixtures are at run time (next to the test assembly).
namespace SwitchNative.Tests.Infrastructure;

public static class FixturePaths
{
    /// <summary>Directory of the Switch-layer reference states.</summary>
    public static string SwitchLayer => Path.Combine(AppContext.BaseDirectory, "Fixtures", "switch-layer");

    /// <summary>The five shared Switch-layer fixtures, as paths relative to the fixtures directory.</summary>
    public static readonly string[] SwitchLayerCases = ["top1_drops", "top1_roomy_gelu", "top2_renorm", "dropless", "odd_shapes"];

    /// <summary>States written by Fixtures/generate_switch_layer_states.py (an independent PyTorch implementation).</summary>
    public static readonly string[] GeneratedCases = ["top3_gelu_raw_gates", "top1_tiny_capacity", "top2_dropless_renorm"];

    /// <summary>Directory of the generated states.</summary>
    public static string Generated => Path.Combine(AppContext.BaseDirectory, "Fixtures", "generated");

    /// <summary>The tiny whole-model reference state written by Fixtures/generate_switch_lm_state.py.</summary>
    public static string SwitchLmState => Path.Combine(Generated, "switch_lm_tiny.safetensors");

    /// <summary>Full path of a shared fixture or generated state by name.</summary>
    public static string StatePath(string name) =>
        Path.Combine(GeneratedCases.Contains(name) ? Generated : SwitchLayer, name + ".safetensors");
}
