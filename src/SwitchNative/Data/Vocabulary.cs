// A word vocabulary: ids for the words seen at least `minimumCount` times in the training
// text, everything else mapped to <unk>. Ids are assigned by descending count, then ordinally,
// so the same training text always gives the same ids.
namespace SwitchNative.Data;

/// <summary>Word ↔ id mapping with an unknown-word id.</summary>
public sealed class Vocabulary
{
    /// <summary>The unknown-word token.</summary>
    public const string Unknown = "<unk>";

    private readonly Dictionary<string, int> _ids;
    private readonly string[] _words;

    /// <summary>Builds from an ordered word list whose first entry is &lt;unk&gt;.</summary>
    public Vocabulary(IReadOnlyList<string> words)
    {
        if (words.Count == 0 || words[0] != Unknown) throw new ArgumentException($"a vocabulary starts with {Unknown}");
        _words = words.ToArray();
        _ids = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < _words.Length; i++)
            if (!_ids.TryAdd(_words[i], i)) throw new ArgumentException($"the word '{_words[i]}' appears twice in the vocabulary");
    }

    /// <summary>Words with count ≥ <paramref name="minimumCount"/> in <paramref name="training"/>, most frequent first, after &lt;unk&gt; and the reserved words.</summary>
    public static Vocabulary Build(IEnumerable<string> training, int minimumCount, params string[] reserved)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var word in training) counts[word] = counts.GetValueOrDefault(word) + 1;
        var words = new List<string> { Unknown };
        words.AddRange(reserved.Where(word => word != Unknown));
        var reservedSet = new HashSet<string>(words, StringComparer.Ordinal);
        words.AddRange(counts.Where(pair => pair.Value >= minimumCount && !reservedSet.Contains(pair.Key))
            .OrderByDescending(pair => pair.Value).ThenBy(pair => pair.Key, StringComparer.Ordinal).Select(pair => pair.Key));
        return new Vocabulary(words);
    }

    /// <summary>Number of ids.</summary>
    public int Count => _words.Length;

    /// <summary>The id of &lt;unk&gt;.</summary>
    public int UnknownId => 0;

    /// <summary>The id of <paramref name="word"/>, or &lt;unk&gt;'s.</summary>
    public int Id(string word) => _ids.TryGetValue(word, out int id) ? id : UnknownId;

    /// <summary>True if <paramref name="word"/> has its own id.</summary>
    public bool Contains(string word) => _ids.ContainsKey(word);

    /// <summary>The word of <paramref name="id"/>.</summary>
    public string Word(int id) => _words[id];

    /// <summary>All words in id order.</summary>
    public IReadOnlyList<string> Words => _words;
}
