// Where a run's tokens come from (the Brown split or a UTF-8 text file with bytes as tokens),
// remembered in the run directory so that eval and generate use the same data and tokenizer.
using System.Text.Json;
using SwitchNative.Data;

namespace SwitchNative.Cli;

/// <summary>The data of a run: token ids of the three parts and how to turn text into ids and back.</summary>
public sealed class DataSource
{
    /// <summary>File in the run directory describing the source.</summary>
    public const string FileName = "data.json";

    private readonly Vocabulary? _vocabulary;

    private DataSource(DataDescription description, int[] train, int[] valid, int[] test, Vocabulary? vocabulary)
    {
        Description = description;
        Train = train;
        Valid = valid;
        Test = test;
        _vocabulary = vocabulary;
    }

    /// <summary>What to reload.</summary>
    public DataDescription Description { get; }

    /// <summary>Training tokens.</summary>
    public int[] Train { get; }

    /// <summary>Validation tokens.</summary>
    public int[] Valid { get; }

    /// <summary>Test tokens.</summary>
    public int[] Test { get; }

    /// <summary>Number of token ids.</summary>
    public int VocabularySize => _vocabulary?.Count ?? ByteTokenizer.VocabularySize;

    /// <summary>Loads (preparing the Brown split if needed) the source <paramref name="description"/> names.</summary>
    public static DataSource Load(DataDescription description, Action<string> log)
    {
        if (description.Kind == "text")
        {
            if (!File.Exists(description.Path)) throw new FileNotFoundException($"the text file '{description.Path}' does not exist", description.Path);
            var tokens = ByteTokenizer.Encode(File.ReadAllText(description.Path));
            if (tokens.Length < 100) throw new InvalidDataException($"'{description.Path}' is too short to train on ({tokens.Length} bytes)");
            var (train, valid, test) = ByteTokenizer.Split(tokens);
            log($"text '{description.Path}': {train.Length:N0} train, {valid.Length:N0} valid, {test.Length:N0} test bytes");
            return new DataSource(description, train, valid, test, null);
        }
        var split = BrownDataset.Load(description.Path, log);
        return new DataSource(description, split.Train, split.Valid, split.Test, split.Vocabulary);
    }

    /// <summary>Reads the description saved in <paramref name="runDirectory"/>.</summary>
    public static DataDescription Read(string runDirectory)
    {
        string path = Path.Combine(runDirectory, FileName);
        if (!File.Exists(path)) throw new FileNotFoundException($"'{runDirectory}' has no {FileName}; is it a run directory made by 'train'?", path);
        return JsonSerializer.Deserialize<DataDescription>(File.ReadAllText(path)) ?? throw new InvalidDataException($"'{path}' is empty");
    }

    /// <summary>Saves the description into <paramref name="runDirectory"/>.</summary>
    public void Save(string runDirectory) =>
        File.WriteAllText(Path.Combine(runDirectory, FileName), JsonSerializer.Serialize(Description));

    /// <summary>Token ids of a prompt (words for Brown, lowercased; bytes for text).</summary>
    public int[] Encode(string text) => _vocabulary is null ? ByteTokenizer.Encode(text) : BrownCorpus.Words(text).Select(_vocabulary.Id).ToArray();

    /// <summary>Text of token ids.</summary>
    public string Decode(IEnumerable<int> ids) => _vocabulary is null
        ? ByteTokenizer.Decode(ids)
        : string.Join(' ', ids.Select(id => _vocabulary.Word(id))).Replace(" " + BrownCorpus.TextBoundary + " ", "\n\n");

    /// <summary>The token to start generation from when the prompt is empty.</summary>
    public int StartToken => _vocabulary is null ? '\n' : _vocabulary.Id(BrownCorpus.TextBoundary);
}

/// <summary>A data source as saved in data.json: Kind "brown" (Path = cache folder) or "text" (Path = file).</summary>
public sealed record DataDescription(string Kind, string Path);
