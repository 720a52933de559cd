// A matrix as the GEMM sees it: op(X) with its logical size, whatever its storage order.
namespace SwitchNative.Devices.Cpu.Gemm;

/// <summary>
/// op(X) of logical size Rows × Columns over dense row-major storage: X itself ([Rows, Columns])
/// or, when <see cref="Transposed"/>, the transpose of a stored [Columns, Rows] matrix.
/// </summary>
internal readonly unsafe struct GemmOperand(float* data, int rows, int columns, bool transposed)
{
    public float* Data { get; } = data;
    public int Rows { get; } = rows;
    public int Columns { get; } = columns;
    public bool Transposed { get; } = transposed;

    /// <summary>op(X)[row, column].</summary>
    public float this[int row, int column] => Transposed ? Data[(long)column * Rows + row] : Data[(long)row * Columns + column];
}
