// The part the reference and CPU devices share: host memory, argument validation, and the
// mapping of tensors to spans. Each public op checks its arguments once here and then calls a
// span-level kernel that the concrete device implements.
using System.Runtime.InteropServices;
using SwitchNative.Random;
using SwitchNative.Tensors;

namespace SwitchNative.Devices.Host;

/// <summary>A device whose memory is host memory; subclasses supply the kernels.</summary>
public abstract unsafe partial class HostDevice : IDevice
{
    /// <inheritdoc/>
    public abstract string Name { get; }

    /// <inheritdoc/>
    public abstract string Description { get; }

    /// <inheritdoc/>
    public Tensor Allocate(Shape shape, DType dtype = DType.F32)
    {
        ArgumentNullException.ThrowIfNull(shape);
        var buffer = new HostBuffer(this, checked(shape.ElementCount * dtype.SizeInBytes()));
        return new Tensor(buffer, dtype, shape, 0, ownsBuffer: true);
    }

    /// <inheritdoc/>
    public void CopyFromHost<T>(ReadOnlySpan<T> source, Tensor destination) where T : unmanaged
    {
        OpChecks.On(this, destination, nameof(destination), DTypeInfo.Of<T>());
        if (source.Length != destination.ElementCount)
            throw new ArgumentException($"{source.Length} host values do not fill a tensor of shape {destination.Shape}");
        source.CopyTo(View<T>(destination));
    }

    /// <inheritdoc/>
    public void CopyToHost<T>(Tensor source, Span<T> destination) where T : unmanaged
    {
        OpChecks.On(this, source, nameof(source), DTypeInfo.Of<T>());
        if (destination.Length != source.ElementCount)
            throw new ArgumentException($"a host span of {destination.Length} cannot take a tensor of shape {source.Shape}");
        View<T>(source).CopyTo(destination);
    }

    /// <inheritdoc/>
    public void Synchronize() { }

    /// <inheritdoc/>
    public virtual void Dispose() => GC.SuppressFinalize(this);

    /// <inheritdoc/>
    public override string ToString() => Description;

    /// <summary>The elements of a host tensor as a span (no copy). Valid while the buffer lives.</summary>
    internal static Span<T> View<T>(Tensor tensor) where T : unmanaged
    {
        var buffer = (HostBuffer)tensor.Buffer;
        return new Span<T>(buffer.Pointer + tensor.ElementOffset * sizeof(T), checked((int)tensor.ElementCount));
    }

    /// <summary>Checks that <paramref name="tensor"/> is an F32 tensor of this device and returns its elements.</summary>
    protected Span<float> F32(Tensor tensor, string name)
    {
        OpChecks.On(this, tensor, name);
        return View<float>(tensor);
    }

    /// <summary>Checks that <paramref name="tensor"/> is an I32 tensor of this device and returns its elements.</summary>
    protected Span<int> I32(Tensor tensor, string name)
    {
        OpChecks.On(this, tensor, name, DType.I32);
        return View<int>(tensor);
    }

    /// <inheritdoc/>
    public void Copy(Tensor source, Tensor destination)
    {
        OpChecks.On(this, source, nameof(source), source.DType);
        OpChecks.On(this, destination, nameof(destination), source.DType);
        OpChecks.SameCount(source, nameof(source), destination, nameof(destination));
        var from = new ReadOnlySpan<byte>(((HostBuffer)source.Buffer).Pointer + source.ElementOffset * source.DType.SizeInBytes(), checked((int)(source.ElementCount * source.DType.SizeInBytes())));
        var to = new Span<byte>(((HostBuffer)destination.Buffer).Pointer + destination.ElementOffset * destination.DType.SizeInBytes(), from.Length);
        from.CopyTo(to);
    }

    /// <inheritdoc/>
    public void Fill(float value, Tensor destination) => F32(destination, nameof(destination)).Fill(value);

    /// <inheritdoc/>
    public void FillUniform(ulong seed, uint streamId, float low, float high, Tensor destination)
    {
        if (!(high >= low)) throw new ArgumentException($"uniform bounds must satisfy low ≤ high, got [{low}, {high})");
        var values = F32(destination, nameof(destination));
        FillRandom(values, index => low + (high - low) * PhiloxDistributions.Uniform(seed, streamId, index));
    }

    /// <inheritdoc/>
    public void FillNormal(ulong seed, uint streamId, float mean, float std, Tensor destination)
    {
        var values = F32(destination, nameof(destination));
        FillRandom(values, index => mean + std * PhiloxDistributions.Normal(seed, streamId, index));
    }

    /// <inheritdoc/>
    public void FillTruncatedNormal(ulong seed, uint streamId, float mean, float std, Tensor destination)
    {
        var values = F32(destination, nameof(destination));
        FillRandom(values, index => mean + std * PhiloxDistributions.TruncatedNormal(seed, streamId, index));
    }

    /// <summary>Writes <c>values[i] = element(i)</c>; the CPU device spreads this over threads.</summary>
    protected virtual void FillRandom(Span<float> values, Func<long, float> element)
    {
        for (int i = 0; i < values.Length; i++) values[i] = element(i);
    }
}
