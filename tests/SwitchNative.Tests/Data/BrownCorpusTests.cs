// The Brown pipeline's rules on small inputs: tag stripping, the split sizes, and the
// vocabulary (training words seen at least 4 times; everything else is <unk>).
using SwitchNative.Data;

namespace SwitchNative.Tests.Data;

public sealed class BrownCorpusTests
{
    [Fact]
    public void Tags_are_stripped_at_the_last_slash_and_punctuation_is_kept()
    {
        const string tagged = "\n\n\tThe/at Fulton/np-tl County/nn-tl said/vbd ``/`` 1/2/cd ,/, Atlanta's/np$ ./.\n";
        Assert.Equal(new[] { "the", "fulton", "county", "said", "``", "1/2", ",", "atlanta's", "." }, BrownCorpus.Words(tagged));
    }

    [Fact]
    public void The_split_has_the_bengio_sizes_and_a_boundary_after_each_text()
    {
        var texts = Enumerable.Range(0, 500).Select(i => ($"c{(char)('a' + i % 18)}{i % 100:00}", string.Join(' ', Enumerable.Range(0, 2400).Select(j => $"w{(i * 7 + j) % 3000}/nn")))).ToList();
        var tokens = BrownCorpus.Tokens(texts);
        Assert.Equal(500 * 2401, tokens.Count);
        Assert.Equal(BrownCorpus.TextBoundary, tokens[2400]);
        var split = BrownCorpus.Split(tokens);
        Assert.Equal(800_000, split.Train.Length);
        Assert.Equal(200_000, split.Valid.Length);
        Assert.Equal(500 * 2401 - 1_000_000, split.Test.Length);
    }

    [Fact]
    public void The_vocabulary_keeps_training_words_seen_at_least_four_times()
    {
        var training = new[] { "a", "a", "a", "a", "b", "b", "b", "c", "c", "c", "c", "c" };
        var vocabulary = Vocabulary.Build(training, minimumCount: 4, "<eot>");
        Assert.Equal(new[] { Vocabulary.Unknown, "<eot>", "c", "a" }, vocabulary.Words);
        Assert.Equal(vocabulary.UnknownId, vocabulary.Id("b"));
        Assert.Equal(vocabulary.UnknownId, vocabulary.Id("never-seen"));
        Assert.Equal(2, vocabulary.Id("c"));
    }

    [Fact]
    public void Too_small_corpora_and_bad_tarballs_fail_clearly()
    {
        Assert.Contains("needs more than", Assert.Throws<InvalidDataException>(() => BrownCorpus.Split(Enumerable.Repeat("x", 1000).ToList())).Message);
        string path = Path.Combine(Path.GetTempPath(), $"not-brown-{Guid.NewGuid():N}.tgz");
        File.WriteAllText(path, "not a tarball");
        try
        {
            Assert.Contains("integrity", Assert.Throws<InvalidDataException>(() => BrownCorpus.VerifyIntegrity(path)).Message);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
