// Byte-level tokenization for any UTF-8 text file: one token per byte (vocabulary 256), so
// every file is representable and decoding is exact.
using System.Text;

namespace SwitchNative.Data;

/// <summary>Bytes as tokens.</summary>
public static class ByteTokenizer
{
    /// <summary>Vocabulary size.</summary>
    public const int VocabularySize = 256;

    /// <summary>The UTF-8 bytes of <paramref name="text"/> as token ids.</summary>
    public static int[] Encode(string text) => Encoding.UTF8.GetBytes(text).Select(value => (int)value).ToArray();

    /// <summary>Token ids back to text (invalid UTF-8 sequences become U+FFFD).</summary>
    public static string Decode(IEnumerable<int> ids) => Encoding.UTF8.GetString(ids.Select(id => (byte)id).ToArray());

    /// <summary>The 90/5/5 split of a text file into train, valid and test, in file order.</summary>
    public static (int[] Train, int[] Valid, int[] Test) Split(int[] tokens)
    {
        int train = (int)(tokens.Length * 0.9), valid = (int)(tokens.Length * 0.05);
        return (tokens[..train], tokens[train..(train + valid)], tokens[(train + valid)..]);
    }
}
