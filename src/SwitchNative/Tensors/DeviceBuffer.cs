// Storage owned by a device: a flat run of bytes. Tensors are typed windows onto it.
namespace SwitchNative.Tensors;

/// <summary>
/// A block of memory owned by a device. A buffer is untyped; tensors view it with a dtype,
/// a shape and an element offset. Disposing frees the memory; views of a disposed buffer
/// must not be used.
/// </summary>
public abstract class DeviceBuffer : IDisposable
{
    /// <summary>Creates a buffer record of <paramref name="byteCount"/> bytes on <paramref name="device"/>.</summary>
    protected DeviceBuffer(Devices.IDevice device, long byteCount)
    {
        Device = device;
        ByteCount = byteCount;
    }

    /// <summary>The device that owns the memory.</summary>
    public Devices.IDevice Device { get; }

    /// <summary>Size in bytes.</summary>
    public long ByteCount { get; }

    /// <summary>True once the memory has been freed.</summary>
    public bool IsDisposed { get; private set; }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (IsDisposed) return;
        IsDisposed = true;
        Release();
        GC.SuppressFinalize(this);
    }

    /// <summary>Frees the memory (called once).</summary>
    protected abstract void Release();
}
