// One thread's share of one product in PackedGemm: a rectangle of C and the operands behind it.
namespace SwitchNative.Devices.Cpu.Gemm;

/// <summary>C[RowStart.., ColumnStart..] of size RowCount × ColumnCount of <see cref="Problem"/>.</summary>
internal readonly struct GemmRectangle(GemmProblem problem, int rowStart, int rowCount, int columnStart, int columnCount)
{
    public GemmProblem Problem { get; } = problem;
    public int RowStart { get; } = rowStart;
    public int RowCount { get; } = rowCount;
    public int ColumnStart { get; } = columnStart;
    public int ColumnCount { get; } = columnCount;
}
