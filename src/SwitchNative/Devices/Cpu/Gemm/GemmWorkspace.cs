// Packing buffers for the GEMM, reused across calls. Owned by one CpuDevice (no global state);
// safe when several threads call the device at once.
using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace SwitchNative.Devices.Cpu.Gemm;

/// <summary>A pool of 64-byte aligned float buffers of one fixed size.</summary>
internal sealed unsafe class GemmWorkspace : IDisposable
{
    private readonly ConcurrentBag<nint> _free = new();
    private readonly ConcurrentBag<nint> _all = new();
    private readonly long _floatCount;

    public GemmWorkspace(long floatCount) => _floatCount = floatCount;

    /// <summary>A buffer of the pool's size; give it back with <see cref="Return"/>.</summary>
    public float* Rent()
    {
        if (_free.TryTake(out var pointer)) return (float*)pointer;
        var fresh = (nint)NativeMemory.AlignedAlloc((nuint)(_floatCount * sizeof(float)), 64);
        _all.Add(fresh);
        return (float*)fresh;
    }

    public void Return(float* buffer) => _free.Add((nint)buffer);

    public void Dispose()
    {
        while (_all.TryTake(out var pointer)) NativeMemory.AlignedFree((void*)pointer);
        _free.Clear();
    }
}
