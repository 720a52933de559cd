// The device tensors a routing call writes. T tokens, E experts, A assignments per token
// (k for token choice, E for expert choice), R ≤ T·A expert rows.
using SwitchNative.Tensors;

namespace SwitchNative.Devices.Routing;

/// <summary>Outputs of <see cref="IDevice.Route"/>; allocate with <see cref="Allocate"/>.</summary>
public sealed class RoutingTensors : IDisposable
{
    /// <summary>softmax(logits) [T, E].</summary>
    public required Tensor Probabilities { get; init; }

    /// <summary>logsumexp of each logit row [T] (for the z-loss and its gradient).</summary>
    public required Tensor LogSumExp { get; init; }

    /// <summary>Chosen expert of each assignment [T, A] I32 (descending probability; ties to the lower index).</summary>
    public required Tensor ExpertIndex { get; init; }

    /// <summary>Gate of each assignment [T, A], before any drop.</summary>
    public required Tensor Gates { get; init; }

    /// <summary>1 if the assignment found room in its expert, else 0 [T, A] I32.</summary>
    public required Tensor Kept { get; init; }

    /// <summary>Slot within the expert's buffer for the group, −1 when dropped [T, A] I32.</summary>
    public required Tensor Slot { get; init; }

    /// <summary>Row of the assignment in the expert-major row layout, −1 when dropped [T, A] I32.</summary>
    public required Tensor AssignmentRow { get; init; }

    /// <summary>Token of each expert row [T·A] I32 (the first R entries are valid).</summary>
    public required Tensor RowToken { get; init; }

    /// <summary>Gate of each expert row [T·A] (the first R entries are valid).</summary>
    public required Tensor RowGate { get; init; }

    /// <summary>Allocates the outputs for <paramref name="tokenCount"/> tokens on <paramref name="device"/>.</summary>
    public static RoutingTensors Allocate(IDevice device, int tokenCount, int expertCount, int assignmentWidth)
    {
        int rows = checked(tokenCount * assignmentWidth);
        return new RoutingTensors
        {
            Probabilities = device.Allocate([tokenCount, expertCount]),
            LogSumExp = device.Allocate([tokenCount]),
            ExpertIndex = device.Allocate([tokenCount, assignmentWidth], DType.I32),
            Gates = device.Allocate([tokenCount, assignmentWidth]),
            Kept = device.Allocate([tokenCount, assignmentWidth], DType.I32),
            Slot = device.Allocate([tokenCount, assignmentWidth], DType.I32),
            AssignmentRow = device.Allocate([tokenCount, assignmentWidth], DType.I32),
            RowToken = device.Allocate([rows], DType.I32),
            RowGate = device.Allocate([rows]),
        };
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var tensor in new[] { Probabilities, LogSumExp, ExpertIndex, Gates, Kept, Slot, AssignmentRow, RowToken, RowGate }) tensor.Dispose();
    }
}
