// Splits the source lines of the next B block among the micro-kernel calls of the current
// one (see GemmSourcePrefetch for why).
namespace SwitchNative.Devices.Cpu.Gemm;

/// <summary>Hands out the lines of one B block's source to the micro-kernel calls of a block.</summary>
internal unsafe struct GemmSourcePrefetcher
{
    private float* _row;
    private readonly long _stride;
    private readonly int _linesPerRow;
    private readonly int _linesPerCall;
    private int _line;
    private long _remaining;

    private GemmSourcePrefetcher(float* firstRow, long stride, int rows, int rowLength, int calls, int depth)
    {
        _row = firstRow;
        _stride = stride;
        _linesPerRow = (rowLength + GemmSourcePrefetch.FloatsPerLine - 1) / GemmSourcePrefetch.FloatsPerLine;
        _remaining = (long)_linesPerRow * rows;
        _linesPerCall = (int)Math.Min(depth / GemmSourcePrefetch.StepsPerLine, (_remaining + calls - 1) / Math.Max(1, calls));
    }

    /// <summary>Nothing to prefetch.</summary>
    public static GemmSourcePrefetcher None => default;

    /// <summary>
    /// The stored rows behind op(B)[depthStart.., columnStart..] (depth × columnCount), spread
    /// over <paramref name="calls"/> micro-kernel calls of <paramref name="kernelDepth"/> steps.
    /// </summary>
    public static GemmSourcePrefetcher ForB(GemmOperand b, int depthStart, int depth, int columnStart, int columnCount, int calls, int kernelDepth) =>
        b.Transposed
            // Stored [N, K]: columnCount rows of depth floats.
            ? new GemmSourcePrefetcher(b.Data + (long)columnStart * b.Rows + depthStart, b.Rows, columnCount, depth, calls, kernelDepth)
            // Stored [K, N]: depth rows of columnCount floats.
            : new GemmSourcePrefetcher(b.Data + (long)depthStart * b.Columns + columnStart, b.Columns, depth, columnCount, calls, kernelDepth);

    /// <summary>
    /// <paramref name="floats"/> contiguous floats from <paramref name="start"/> (a packed Ã
    /// micro-panel), spread over <paramref name="calls"/> micro-kernel calls of <paramref name="kernelDepth"/> steps.
    /// </summary>
    public static GemmSourcePrefetcher ForContiguous(float* start, int floats, int calls, int kernelDepth) => new(start, floats, 1, floats, calls, kernelDepth);

    /// <summary>The lines for the next micro-kernel call; the cursor moves past them.</summary>
    public GemmSourcePrefetch Next()
    {
        int count = (int)Math.Min(_linesPerCall, _remaining);
        if (count <= 0) return GemmSourcePrefetch.None;
        var prefetch = new GemmSourcePrefetch(_row, _stride, _linesPerRow, _line, count);
        _remaining -= count;
        long line = _line + (long)count;
        _row += line / _linesPerRow * _stride;
        _line = (int)(line % _linesPerRow);
        return prefetch;
    }
}
