// switchnative: the command line. Each command lives in Commands/; this file only wires them.
using System.CommandLine;
using SwitchNative.Cli.Commands;

var root = new RootCommand("SwitchNative: a Switch Transformer (mixture of experts) in C#")
{
    CrossCheckCommand.Create(Console.Out, Console.Error),
};
return root.Parse(args).Invoke();
