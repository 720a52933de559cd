// Dispatch and combine for ILGPU: gathers with one thread per output element, so no two
// threads write the same address (no atomics, deterministic).
using ILGPU;

namespace SwitchNative.Ilgpu.Kernels;

internal static class ExpertKernels
{
    // expertInput[r, c] = s_r·x[rowToken[r], c] (s = 1 when hasScale = 0).
    public static void Dispatch(Index1D index, ArrayView<float> x, ArrayView<int> rowToken, ArrayView<float> rowScale, int hasScale, ArrayView<float> expertInput, int width)
    {
        int r = (int)(index / width), c = (int)(index % width);
        expertInput[index] = (hasScale != 0 ? rowScale[r] : 1f) * x[(long)rowToken[r] * width + c];
    }

    // y[t, c] = Σ_j w_tj·expertOutput[row_tj, c] over rows ≥ 0 (w = 1 when hasWeights = 0).
    public static void Combine(Index1D index, ArrayView<float> expertOutput, ArrayView<int> assignmentRow, ArrayView<float> weights, int hasWeights, ArrayView<float> y, int assignmentWidth, int width)
    {
        int t = (int)(index / width), c = (int)(index % width);
        double sum = 0;
        for (int j = 0; j < assignmentWidth; j++)
        {
            int a = t * assignmentWidth + j, row = assignmentRow[a];
            if (row >= 0) sum += (hasWeights != 0 ? weights[a] : 1f) * expertOutput[(long)row * width + c];
        }
        y[index] = (float)sum;
    }

    // dGates[t, j] = ⟨expertOutput[row_tj], dy[t]⟩, 0 for dropped assignments.
    public static void CombineGateGradient(Index1D a, ArrayView<float> expertOutput, ArrayView<int> assignmentRow, ArrayView<float> dy, ArrayView<float> dGates, int assignmentWidth, int width)
    {
        int row = assignmentRow[a], t = (int)(a / assignmentWidth);
        double dot = 0;
        for (int c = 0; row >= 0 && c < width; c++) dot += (double)expertOutput[(long)row * width + c] * dy[(long)t * width + c];
        dGates[a] = (float)dot;
    }
}
