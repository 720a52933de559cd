// One contiguous buffer holding many named tensors (llm.c's ParameterTensors). Parameters and
// their gradients are two sets with the same layout, so an optimizer step, a checkpoint or a
// device cross-check is a single loop over one flat array.
namespace SwitchNative.Tensors;

/// <summary>
/// Named tensors packed back to back in one buffer, in declaration order.
/// <see cref="Flat"/> is the whole buffer as one 1-D tensor.
/// </summary>
public sealed class TensorSet : IDisposable
{
    private readonly Dictionary<string, Tensor> _byName = new(StringComparer.Ordinal);
    private readonly List<(string Name, Tensor Tensor)> _ordered = new();

    /// <summary>Allocates one zeroed buffer on <paramref name="device"/> for every (name, shape) in order.</summary>
    public TensorSet(Devices.IDevice device, IEnumerable<(string Name, Shape Shape)> layout)
    {
        var entries = layout.ToList();
        long total = 0;
        foreach (var (name, shape) in entries)
        {
            if (string.IsNullOrEmpty(name)) throw new ArgumentException("a tensor in a set needs a name");
            total = checked(total + shape.ElementCount);
        }
        Flat = device.Allocate(new Shape(checked((int)total)));
        long offset = 0;
        foreach (var (name, shape) in entries)
        {
            var view = Flat.View(offset, shape);
            if (!_byName.TryAdd(name, view)) throw new ArgumentException($"the name '{name}' appears twice in a tensor set");
            _ordered.Add((name, view));
            offset += shape.ElementCount;
        }
        Layout = entries;
    }

    /// <summary>All elements as one 1-D tensor.</summary>
    public Tensor Flat { get; }

    /// <summary>The names and shapes, in storage order.</summary>
    public IReadOnlyList<(string Name, Shape Shape)> Layout { get; }

    /// <summary>The tensors, in storage order.</summary>
    public IReadOnlyList<(string Name, Tensor Tensor)> Entries => _ordered;

    /// <summary>The view named <paramref name="name"/>.</summary>
    public Tensor this[string name] => _byName.TryGetValue(name, out var tensor)
        ? tensor
        : throw new KeyNotFoundException($"no tensor named '{name}' in this set (it has: {string.Join(", ", _byName.Keys)})");

    /// <summary>A zeroed set with the same layout on <paramref name="device"/> (for gradients or optimizer moments).</summary>
    public TensorSet CreateLike(Devices.IDevice device) => new(device, Layout);

    /// <inheritdoc/>
    public void Dispose() => Flat.Dispose();
}
