// The dimensions of a row-major tensor. Immutable; the last dimension is contiguous.
using System.Collections;
using System.Runtime.CompilerServices;

namespace SwitchNative.Tensors;

/// <summary>Row-major dimensions of a tensor, outermost first.</summary>
[CollectionBuilder(typeof(Shape), nameof(Create))]
public sealed class Shape : IEquatable<Shape>, IReadOnlyList<int>
{
    private readonly int[] _dimensions;

    /// <summary>Creates a shape; every dimension must be ≥ 0.</summary>
    public Shape(params int[] dimensions)
    {
        ArgumentNullException.ThrowIfNull(dimensions);
        long count = 1;
        foreach (var dimension in dimensions)
        {
            if (dimension < 0)
                throw new ArgumentOutOfRangeException(nameof(dimensions), $"dimension {dimension} in [{string.Join(", ", dimensions)}] is negative");
            count = checked(count * dimension);
        }
        _dimensions = (int[])dimensions.Clone();
        ElementCount = count;
    }

    /// <summary>Creates a shape from a collection expression, e.g. <c>Shape shape = [4, 8];</c>.</summary>
    public static Shape Create(ReadOnlySpan<int> dimensions) => new(dimensions.ToArray());

    /// <summary>Product of the dimensions (1 for a scalar shape []).</summary>
    public long ElementCount { get; }

    /// <summary>Number of dimensions.</summary>
    public int Rank => _dimensions.Length;

    /// <summary>Dimension <paramref name="index"/>; negative indices count from the end.</summary>
    public int this[int index] => _dimensions[index < 0 ? _dimensions.Length + index : index];

    /// <inheritdoc/>
    public int Count => _dimensions.Length;

    /// <summary>Product of all dimensions but the last: the number of rows of a row-wise op.</summary>
    public long RowCount => Rank == 0 ? 1 : (this[-1] == 0 ? 0 : ElementCount / this[-1]);

    /// <summary>The last dimension (1 for a scalar shape).</summary>
    public int LastDimension => Rank == 0 ? 1 : this[-1];

    /// <summary>A copy of the dimensions.</summary>
    public int[] ToArray() => (int[])_dimensions.Clone();

    /// <inheritdoc/>
    public bool Equals(Shape? other) => other is not null && _dimensions.AsSpan().SequenceEqual(other._dimensions);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as Shape);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var dimension in _dimensions) hash.Add(dimension);
        return hash.ToHashCode();
    }

    /// <inheritdoc/>
    public IEnumerator<int> GetEnumerator() => ((IEnumerable<int>)_dimensions).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => _dimensions.GetEnumerator();

    /// <summary>Formats as [d0, d1, ...].</summary>
    public override string ToString() => "[" + string.Join(", ", _dimensions) + "]";

    /// <summary>Implicit conversion from dimensions, so that <c>device.Allocate([4, 8])</c> reads naturally.</summary>
    public static implicit operator Shape(int[] dimensions) => new(dimensions);
}
