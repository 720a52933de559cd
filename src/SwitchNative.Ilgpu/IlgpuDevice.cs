// The ILGPU device: every op of IDevice as ILGPU kernels on one accelerator (CUDA, OpenCL, or
// ILGPU's CPU accelerator, which runs the same kernels without a GPU). Tensors stay in
// accelerator memory between ops; only what a caller asks for is copied back (plus token ids
// and assignment rows, which are validated on the host before a kernel indexes with them).
using System.Runtime.InteropServices;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;
using ILGPU.Runtime.OpenCL;
using SwitchNative.Devices;
using IDevice = SwitchNative.Devices.IDevice;
using SwitchNative.Tensors;

namespace SwitchNative.Ilgpu;

/// <summary>Which ILGPU accelerator to run on.</summary>
public enum IlgpuAcceleratorKind
{
    /// <summary>ILGPU's CPU accelerator (always available).</summary>
    Cpu,
    /// <summary>An NVIDIA GPU through CUDA.</summary>
    Cuda,
    /// <summary>An OpenCL device accepted by ILGPU.</summary>
    OpenCL,
}

/// <summary>IDevice on an ILGPU accelerator.</summary>
public sealed partial class IlgpuDevice : IDevice
{
    private readonly Context _context;
    private readonly Accelerator _accelerator;

    /// <summary>
    /// Opens the first accelerator of <paramref name="kind"/>; throws with a clear message when there is none.
    /// <paramref name="groupKernels"/> chooses the kernels in which a thread group cooperates
    /// through shared memory and barriers — the tiled GEMM, the cross-entropy with one group per
    /// row — (default on GPUs) or their one-thread-per-output forms (default on ILGPU's CPU
    /// accelerator, where a group's threads are OS threads and each barrier is an OS-level sync).
    /// </summary>
    public IlgpuDevice(IlgpuAcceleratorKind kind, bool? groupKernels = null)
    {
        Kind = kind;
        GroupKernels = groupKernels ?? kind != IlgpuAcceleratorKind.Cpu;
        _context = Context.Create(builder =>
        {
            builder.ApplyKernelSettings();
            switch (kind)
            {
                // 64 threads per group (4 per warp × 16 warps) for the 8×8 GEMM tiles.
                case IlgpuAcceleratorKind.Cpu: builder.CPU(new CPUDevice(4, 16, 1)); break;
                case IlgpuAcceleratorKind.Cuda: builder.Cuda(); break;
                default: builder.OpenCL(); break;
            }
        });
        try
        {
            _accelerator = kind switch
            {
                IlgpuAcceleratorKind.Cpu => _context.CreateCPUAccelerator(0),
                IlgpuAcceleratorKind.Cuda => _context.GetCudaDevices().Count > 0 ? _context.CreateCudaAccelerator(0)
                    : throw new InvalidOperationException("device 'ilgpu-cuda': no CUDA GPU was found (is the NVIDIA driver installed?); use 'ilgpu-cpu' or 'cpu'"),
                _ => _context.GetCLDevices().Count > 0 ? _context.CreateCLAccelerator(0)
                    : throw new InvalidOperationException("device 'ilgpu-opencl': no OpenCL device that ILGPU accepts was found (install an OpenCL driver, e.g. pocl-opencl-icd); use 'ilgpu-cpu' or 'cpu'"),
            };
        }
        catch
        {
            _context.Dispose();
            throw;
        }
        Kernels = new IlgpuKernelSet(_accelerator);
    }

    /// <summary>The accelerator kind.</summary>
    public IlgpuAcceleratorKind Kind { get; }

    /// <summary>True when GEMMs use the shared-memory tiled kernel and the cross-entropy one group per row.</summary>
    public bool GroupKernels { get; }

    internal IlgpuKernelSet Kernels { get; }

    /// <inheritdoc/>
    public string Name => Kind switch { IlgpuAcceleratorKind.Cpu => "ilgpu-cpu", IlgpuAcceleratorKind.Cuda => "ilgpu-cuda", _ => "ilgpu-opencl" };

    /// <inheritdoc/>
    public string Description => Kind == IlgpuAcceleratorKind.Cpu
        ? $"{Name} ({_accelerator.Name}, {(GroupKernels ? "group" : "per-thread")} kernels)"
        : $"{Name} ({_accelerator.Name}, {_accelerator.MemorySize / (1 << 20):N0} MiB)";

    /// <inheritdoc/>
    public Tensor Allocate(Shape shape, DType dtype = DType.F32)
    {
        ArgumentNullException.ThrowIfNull(shape);
        var buffer = new IlgpuBuffer(this, _accelerator, checked(shape.ElementCount * dtype.SizeInBytes()));
        return new Tensor(buffer, dtype, shape, 0, ownsBuffer: true);
    }

    /// <inheritdoc/>
    public void CopyFromHost<T>(ReadOnlySpan<T> source, Tensor destination) where T : unmanaged
    {
        OpChecks.On(this, destination, nameof(destination), DTypeInfo.Of<T>());
        if (source.Length != destination.ElementCount)
            throw new ArgumentException($"{source.Length} host values do not fill a tensor of shape {destination.Shape}");
        // F32 and I32 are both 32-bit words: the bytes go over unchanged.
        Words(destination).CopyFromCPU(MemoryMarshal.Cast<T, float>(source));
    }

    /// <inheritdoc/>
    public void CopyToHost<T>(Tensor source, Span<T> destination) where T : unmanaged
    {
        OpChecks.On(this, source, nameof(source), DTypeInfo.Of<T>());
        if (destination.Length != source.ElementCount)
            throw new ArgumentException($"a host span of {destination.Length} cannot take a tensor of shape {source.Shape}");
        _accelerator.Synchronize();
        Words(source).CopyToCPU(MemoryMarshal.Cast<T, float>(destination));
    }

    /// <inheritdoc/>
    public void Synchronize() => _accelerator.Synchronize();

    /// <inheritdoc/>
    public void Dispose()
    {
        _accelerator.Dispose();
        _context.Dispose();
    }

    /// <inheritdoc/>
    public override string ToString() => Description;

    // The tensor's 32-bit words on the accelerator.
    private static ArrayView<float> Words(Tensor tensor) =>
        ((IlgpuBuffer)tensor.Buffer).Memory.View.AsContiguous().SubView(tensor.ElementOffset, tensor.ElementCount);

    /// <summary>Checks an F32 tensor of this device and returns its view.</summary>
    internal ArrayView<float> F32(Tensor tensor, string name)
    {
        OpChecks.On(this, tensor, name);
        return Words(tensor);
    }

    /// <summary>Checks an I32 tensor of this device and returns its view.</summary>
    internal ArrayView<int> I32(Tensor tensor, string name)
    {
        OpChecks.On(this, tensor, name, DType.I32);
        return Words(tensor).Cast<int>();
    }

    /// <summary>An I32 tensor's values on the host (for validation and host-side routing).</summary>
    internal int[] HostInts(Tensor tensor) => this.ToArray<int>(tensor);
}
