// Reference GEMM: the triple loop, summed in double.
namespace SwitchNative.Devices.Reference;

public sealed partial class ReferenceDevice
{
    /// <inheritdoc/>
    protected override void GemmKernel(ReadOnlySpan<float> a, bool transposeA, ReadOnlySpan<float> b, bool transposeB, float alpha, float beta, Span<float> c, int m, int n, int k)
    {
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                // C_ij = α Σ_p op(A)_ip op(B)_pj + β C_ij; β = 0 never reads C.
                double sum = 0;
                for (int p = 0; p < k; p++)
                {
                    float aValue = transposeA ? a[p * m + i] : a[i * k + p];
                    float bValue = transposeB ? b[j * k + p] : b[p * n + j];
                    sum += (double)aValue * bValue;
                }
                double result = alpha * sum;
                if (beta != 0f) result += (double)beta * c[i * n + j];
                c[i * n + j] = (float)result;
            }
        }
    }
}
