// switchnative: the command line. Each command lives in Commands/; this file only wires them.
using System.CommandLine;
using SwitchNative.Cli.Commands;

var root = new RootCommand("SwitchNative: a Switch Transformer (mixture of experts) in C#")
{
    TrainCommand.Create(Console.Out, Console.Error),
    EvalCommand.Create(Console.Out, Console.Error),
    GenerateCommand.Create(Console.Out, Console.Error),
    DataCommand.Create(Console.Out, Console.Error),
    CrossCheckCommand.Create(Console.Out, Console.Error),
};
return await root.Parse(args).InvokeAsync();
