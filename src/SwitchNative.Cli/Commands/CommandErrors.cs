// One place that turns expected failures (bad arguments, missing or invalid files, divergence)
// into a one-line message on stderr and a non-zero exit code instead of a stack trace.
using SwitchNative.Training;

namespace SwitchNative.Cli.Commands;

public static class CommandErrors
{
    /// <summary>Runs <paramref name="action"/>; prints expected errors and returns 2 (3 for divergence, 130 when cancelled).</summary>
    public static int Run(TextWriter error, Func<int> action)
    {
        try
        {
            return action();
        }
        catch (OperationCanceledException)
        {
            error.WriteLine("cancelled; the last checkpoint is kept");
            return 130;
        }
        catch (TrainingDivergedException failure)
        {
            error.WriteLine($"error: {failure.Message}");
            return 3;
        }
        catch (Exception failure) when (failure is ArgumentException or IOException or InvalidDataException or InvalidOperationException or UnauthorizedAccessException or KeyNotFoundException or FormatException)
        {
            error.WriteLine($"error: {failure.Message}");
            return 2;
        }
    }
}
