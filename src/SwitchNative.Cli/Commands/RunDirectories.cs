// Run directories: new ones are named by preset and time; commands that read a run default
// to the most recent one under runs/.
namespace SwitchNative.Cli.Commands;

public static class RunDirectories
{
    /// <summary>Where runs go by default.</summary>
    public const string Root = "runs";

    /// <summary>A fresh directory name for a run of <paramref name="preset"/>.</summary>
    public static string New(string preset) => Path.Combine(Root, $"{preset}-{DateTime.Now:yyyyMMdd-HHmmss}");

    /// <summary><paramref name="given"/>, or the newest run under runs/ that has a model.</summary>
    public static string Resolve(string? given)
    {
        if (!string.IsNullOrEmpty(given)) return given;
        var newest = Directory.Exists(Root)
            ? Directory.GetDirectories(Root).Where(directory => File.Exists(Path.Combine(directory, SwitchNative.Training.Checkpoint.ModelFile)))
                .OrderByDescending(directory => File.GetLastWriteTimeUtc(Path.Combine(directory, SwitchNative.Training.Checkpoint.ModelFile))).FirstOrDefault()
            : null;
        return newest ?? throw new ArgumentException($"no --run-dir given and no trained run under '{Root}/'; run 'train' first");
    }
}
