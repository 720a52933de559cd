// Shapes, views and tensor sets.
using SwitchNative.Devices;
using SwitchNative.Devices.Reference;
using SwitchNative.Tensors;

namespace SwitchNative.Tests.Tensors;

public sealed class TensorTests
{
    [Fact]
    public void Shape_counts_elements_and_rejects_negative_dimensions()
    {
        Shape shape = [2, 3, 4];
        Assert.Equal(24, shape.ElementCount);
        Assert.Equal(6, shape.RowCount);
        Assert.Equal(4, shape.LastDimension);
        Assert.Equal(4, shape[-1]);
        Assert.Equal("[2, 3, 4]", shape.ToString());
        Assert.Equal(new Shape(2, 3, 4), shape);
        Assert.Equal(1, new Shape().ElementCount);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Shape(2, -1));
    }

    [Fact]
    public void Views_share_storage()
    {
        using var device = new ReferenceDevice();
        using var tensor = device.FromArray<float>(Enumerable.Range(0, 12).Select(i => (float)i).ToArray(), [3, 4]);
        var row = tensor.Slice(1, 1);
        Assert.Equal(new float[] { 4, 5, 6, 7 }, device.ToArray(row));
        device.Fill(-1f, row);
        Assert.Equal(-1f, device.ToArray(tensor)[5]);
        var flat = tensor.Reshape(12);
        Assert.Equal(12, flat.Shape[0]);
        var window = flat.View(10, [2]);
        Assert.Equal(new float[] { 10, 11 }, device.ToArray(window));
        Assert.Throws<ArgumentException>(() => tensor.Reshape(5));
        Assert.Throws<ArgumentOutOfRangeException>(() => tensor.Slice(2, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => flat.View(11, [2]));
    }

    [Fact]
    public void Disposing_a_view_keeps_the_buffer_and_disposing_the_owner_frees_it()
    {
        using var device = new ReferenceDevice();
        var owner = device.Allocate([4]);
        owner.Slice(0, 2).Dispose();
        Assert.False(owner.Buffer.IsDisposed);
        owner.Dispose();
        Assert.True(owner.Buffer.IsDisposed);
        Assert.Throws<ObjectDisposedException>(() => device.Fill(1f, owner));
    }

    [Fact]
    public void Tensor_set_packs_named_views_contiguously()
    {
        using var device = new ReferenceDevice();
        using var parameters = new TensorSet(device, [("embedding", new Shape(5, 3)), ("norm", new Shape(3)), ("head", new Shape(3, 2))]);
        Assert.Equal(24, parameters.Flat.ElementCount);
        Assert.Equal(15, parameters["norm"].ElementOffset);
        device.Fill(1f, parameters["norm"]);
        var flat = device.ToArray(parameters.Flat);
        Assert.Equal(3, flat.Count(value => value == 1f));
        Assert.Equal(1f, flat[15]);
        using var gradients = parameters.CreateLike(device);
        Assert.Equal(parameters.Layout, gradients.Layout);
        var missing = Assert.Throws<KeyNotFoundException>(() => parameters["nope"]);
        Assert.Contains("embedding", missing.Message);
        Assert.Throws<ArgumentException>(() => new TensorSet(device, [("a", new Shape(1)), ("a", new Shape(1))]));
    }
}
