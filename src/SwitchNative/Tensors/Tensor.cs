// A tensor is a handle: (buffer, dtype, shape, element offset). Views share the buffer and
// are contiguous row-major windows, so every kernel sees a dense array (as in llm.c).
namespace SwitchNative.Tensors;

/// <summary>
/// A contiguous, row-major, typed window onto a device buffer. Creating views
/// (<see cref="Reshape"/>, <see cref="Slice"/>, <see cref="View"/>) copies nothing.
/// Only the tensor returned by <c>IDevice.Allocate</c> owns its buffer; disposing a view is a no-op.
/// </summary>
public sealed class Tensor : IDisposable
{
    private readonly bool _ownsBuffer;

    internal Tensor(DeviceBuffer buffer, DType dtype, Shape shape, long elementOffset, bool ownsBuffer)
    {
        if (elementOffset < 0 || (elementOffset + shape.ElementCount) * dtype.SizeInBytes() > buffer.ByteCount)
            throw new ArgumentOutOfRangeException(nameof(elementOffset),
                $"a {dtype} view of shape {shape} at element {elementOffset} does not fit a buffer of {buffer.ByteCount} bytes");
        Buffer = buffer;
        DType = dtype;
        Shape = shape;
        ElementOffset = elementOffset;
        _ownsBuffer = ownsBuffer;
    }

    /// <summary>The storage.</summary>
    public DeviceBuffer Buffer { get; }

    /// <summary>The device that owns the storage.</summary>
    public Devices.IDevice Device => Buffer.Device;

    /// <summary>Element type.</summary>
    public DType DType { get; }

    /// <summary>Dimensions.</summary>
    public Shape Shape { get; }

    /// <summary>Offset of the first element from the start of the buffer, in elements.</summary>
    public long ElementOffset { get; }

    /// <summary>Number of elements.</summary>
    public long ElementCount => Shape.ElementCount;

    /// <summary>The same elements under another shape with the same element count.</summary>
    public Tensor Reshape(params int[] dimensions)
    {
        var shape = new Shape(dimensions);
        if (shape.ElementCount != ElementCount)
            throw new ArgumentException($"cannot reshape {Shape} ({ElementCount} elements) to {shape} ({shape.ElementCount} elements)");
        return new Tensor(Buffer, DType, shape, ElementOffset, ownsBuffer: false);
    }

    /// <summary>Rows [start, start + count) of the outermost dimension.</summary>
    public Tensor Slice(int start, int count)
    {
        if (Shape.Rank == 0) throw new InvalidOperationException("cannot slice a scalar tensor");
        if (start < 0 || count < 0 || start + count > Shape[0])
            throw new ArgumentOutOfRangeException(nameof(start), $"rows [{start}, {start + count}) are outside a tensor of shape {Shape}");
        var dimensions = Shape.ToArray();
        dimensions[0] = count;
        long rowSize = Shape[0] == 0 ? 0 : ElementCount / Shape[0];
        return new Tensor(Buffer, DType, new Shape(dimensions), ElementOffset + start * rowSize, ownsBuffer: false);
    }

    /// <summary>A view of <paramref name="shape"/> starting <paramref name="elementOffset"/> elements into this tensor.</summary>
    public Tensor View(long elementOffset, Shape shape)
    {
        if (elementOffset < 0 || elementOffset + shape.ElementCount > ElementCount)
            throw new ArgumentOutOfRangeException(nameof(elementOffset), $"a view of {shape} at {elementOffset} exceeds a tensor of shape {Shape}");
        return new Tensor(Buffer, DType, shape, ElementOffset + elementOffset, ownsBuffer: false);
    }

    /// <summary>Frees the buffer if this tensor owns it.</summary>
    public void Dispose()
    {
        if (_ownsBuffer) Buffer.Dispose();
    }

    /// <inheritdoc/>
    public override string ToString() => $"Tensor({DType}, {Shape}, on {Device.Name})";
}
