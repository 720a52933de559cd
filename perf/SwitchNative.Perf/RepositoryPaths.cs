// Finds files of the repository (the peer scripts) from wherever the benchmark runs.
namespace SwitchNative.Perf;

public static class RepositoryPaths
{
    /// <summary>The directory holding SwitchNative.sln, searched upward from the working and the binary directories.</summary>
    public static string Root
    {
        get
        {
            foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
                for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
                    if (File.Exists(Path.Combine(directory.FullName, "SwitchNative.sln"))) return directory.FullName;
            throw new DirectoryNotFoundException("run the benchmarks from inside the SwitchNative repository (SwitchNative.sln not found above the working directory)");
        }
    }
}
