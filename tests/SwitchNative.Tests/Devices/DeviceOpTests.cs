// The device test suite, written once. Each concrete device gets a subclass that says how to
// create it; every test runs an op on that device and on the reference device (the oracle)
// and compares, or checks a backward against finite differences on the device itself.
using SwitchNative.Devices;
using SwitchNative.Devices.Reference;
using SwitchNative.Tensors;
using SwitchNative.Tests.Infrastructure;
using Xunit.Abstractions;

namespace SwitchNative.Tests.Devices;

public abstract partial class DeviceOpTests : IDisposable
{
    protected DeviceOpTests(ITestOutputHelper output)
    {
        Output = output;
        Device = CreateDevice();
        Oracle = new ReferenceDevice();
    }

    /// <summary>The device under test.</summary>
    protected IDevice Device { get; }

    /// <summary>The reference device.</summary>
    protected IDevice Oracle { get; }

    protected ITestOutputHelper Output { get; }

    /// <summary>Creates the device under test.</summary>
    protected abstract IDevice CreateDevice();

    public void Dispose()
    {
        Device.Dispose();
        Oracle.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Runs <paramref name="run"/> on the oracle and on the device under test; returns both results.</summary>
    protected (float[] Expected, float[] Actual) Both(Func<IDevice, float[]> run) => (run(Oracle), run(Device));

    /// <summary>Runs <paramref name="run"/> on both devices and compares with the stated tolerance.</summary>
    protected void Compare(Func<IDevice, float[]> run, double absolute, double relative, string what)
    {
        var (expected, actual) = Both(run);
        Close.All(expected, actual, absolute, relative, what);
    }

    [Fact]
    public void Reports_its_name_and_vector_width()
    {
        Output.WriteLine($"device under test: {Device.Description}");
        Console.WriteLine($"[vector width] {GetType().Name}: {Device.Description}");
        Assert.False(string.IsNullOrWhiteSpace(Device.Name));
    }

    [Fact]
    public void Copy_and_fill_move_exact_values()
    {
        var values = TestData.Uniform(77, seed: 1);
        using var source = Device.FromArray<float>(values, [7, 11]);
        using var target = Device.Allocate([77]);
        Device.Copy(source, target);
        Close.Bitwise(values, Device.ToArray(target));
        Device.Fill(2.5f, target.Slice(10, 5));
        var filled = Device.ToArray(target);
        Assert.All(filled.AsSpan(10, 5).ToArray(), value => Assert.Equal(2.5f, value));
        Assert.Equal(values[9], filled[9]);
        Assert.Equal(values[15], filled[15]);

        using var ids = Device.FromArray<int>(new[] { 3, -1, 7 }, [3]);
        using var idsCopy = Device.Allocate([3], DType.I32);
        Device.Copy(ids, idsCopy);
        Assert.Equal(new[] { 3, -1, 7 }, Device.ToArray<int>(idsCopy));
    }

    [Fact]
    public void Bad_arguments_fail_with_clear_messages()
    {
        using var a = Device.Allocate([3, 4]);
        using var b = Device.Allocate([5, 6]);
        using var c = Device.Allocate([3, 6]);
        var gemm = Assert.Throws<ArgumentException>(() => Device.Gemm(a, false, b, false, 1, 0, c));
        Assert.Contains("do not agree", gemm.Message);
        var add = Assert.Throws<ArgumentException>(() => Device.Add(a, b, c));
        Assert.Contains("element count", add.Message);
        using var ints = Device.Allocate([3, 4], DType.I32);
        Assert.Throws<ArgumentException>(() => Device.Relu(ints, a));
        using var other = new ReferenceDevice();
        using var foreign = other.Allocate([3, 4]);
        var wrongDevice = Assert.Throws<ArgumentException>(() => Device.Add(a, foreign, a));
        Assert.Contains("lives on device", wrongDevice.Message);
        using var table = Device.Allocate([4, 2]);
        using var ids = Device.FromArray<int>(new[] { 0, 4 }, [2]);
        using var rows = Device.Allocate([2, 2]);
        Assert.Throws<ArgumentOutOfRangeException>(() => Device.Embedding(table, ids, rows));
    }
}
