// Packing (Goto and van de Geijn, "Anatomy of high-performance matrix multiplication", 2008):
// copy a block of op(A) and of op(B) into the exact order the micro-kernel reads, so the kernel
// streams both with unit stride whatever the transposes were. Ragged edges are padded with
// zeros, which lets the kernel always run full tiles. α is folded into the packed A.
namespace SwitchNative.Devices.Cpu.Gemm;

internal static unsafe class GemmPacking
{
    /// <summary>
    /// Packs rows [rowStart, rowStart + rowCount) × columns [depthStart, depthStart + depth) of op(A)
    /// as micro-panels of <paramref name="panelRows"/> rows: panel r holds, for each p, the values
    /// α·op(A)[rowStart + r·MR + i, depthStart + p] at <c>destination[r·MR·depth + p·MR + i]</c>.
    /// </summary>
    public static void PackA(GemmOperand a, int rowStart, int rowCount, int depthStart, int depth, float alpha, int panelRows, float* destination)
    {
        for (int panelStart = 0; panelStart < rowCount; panelStart += panelRows)
        {
            float* panel = destination + (long)panelStart * depth;
            int rows = Math.Min(panelRows, rowCount - panelStart);
            int firstRow = rowStart + panelStart;
            if (a.Transposed)
            {
                // Stored [K, M]: for fixed p the panel's rows are contiguous in memory.
                for (int p = 0; p < depth; p++)
                {
                    float* source = a.Data + (long)(depthStart + p) * a.Rows + firstRow;
                    float* target = panel + p * panelRows;
                    int i = 0;
                    for (; i < rows; i++) target[i] = alpha * source[i];
                    for (; i < panelRows; i++) target[i] = 0f;
                }
            }
            else
            {
                // Stored [M, K]: each row is contiguous along p.
                for (int i = 0; i < panelRows; i++)
                {
                    float* target = panel + i;
                    if (i < rows)
                    {
                        float* source = a.Data + (long)(firstRow + i) * a.Columns + depthStart;
                        for (int p = 0; p < depth; p++) target[p * panelRows] = alpha * source[p];
                    }
                    else
                    {
                        for (int p = 0; p < depth; p++) target[p * panelRows] = 0f;
                    }
                }
            }
        }
    }

    /// <summary>
    /// Packs micro-panels [panelFirst, panelFirst + panelCount) of NR columns from rows
    /// [depthStart, depthStart + depth) × columns [columnStart, columnStart + columnCount) of op(B):
    /// panel j holds op(B)[depthStart + p, columnStart + j·NR + c] at <c>destination[j·NR·depth + p·NR + c]</c>.
    /// </summary>
    public static void PackB(GemmOperand b, int depthStart, int depth, int columnStart, int columnCount, int panelColumns, int panelFirst, int panelCount, float* destination)
    {
        for (int panel = panelFirst; panel < panelFirst + panelCount; panel++)
        {
            int panelStart = panel * panelColumns;
            float* target = destination + (long)panelStart * depth;
            int columns = Math.Min(panelColumns, columnCount - panelStart);
            int firstColumn = columnStart + panelStart;
            if (!b.Transposed)
            {
                // Stored [K, N]: each packed row is a contiguous copy.
                for (int p = 0; p < depth; p++)
                {
                    var source = new ReadOnlySpan<float>(b.Data + (long)(depthStart + p) * b.Columns + firstColumn, columns);
                    var row = new Span<float>(target + p * panelColumns, panelColumns);
                    source.CopyTo(row);
                    row.Slice(columns).Clear();
                }
            }
            else
            {
                // Stored [N, K]: each column of op(B) is contiguous along p.
                for (int c = 0; c < panelColumns; c++)
                {
                    if (c < columns)
                    {
                        float* source = b.Data + (long)(firstColumn + c) * b.Rows + depthStart;
                        for (int p = 0; p < depth; p++) target[p * panelColumns + c] = source[p];
                    }
                    else
                    {
                        for (int p = 0; p < depth; p++) target[p * panelColumns + c] = 0f;
                    }
                }
            }
        }
    }
}
