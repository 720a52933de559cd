// Where the copied test fixtures are at run time (next to the test assembly).
namespace SwitchNative.Tests.Infrastructure;

public static class FixturePaths
{
    /// <summary>Directory of the Switch-layer reference states.</summary>
    public static string SwitchLayer => Path.Combine(AppContext.BaseDirectory, "Fixtures", "switch-layer");

    /// <summary>The five Switch-layer fixture names.</summary>
    public static readonly string[] SwitchLayerCases = ["top1_drops", "top1_roomy_gelu", "top2_renorm", "dropless", "odd_shapes"];
}
