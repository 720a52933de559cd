// OpenBLAS's cblas_sgemm through P/Invoke: the GEMM peer of `compare gemm`. Only the perf
// project touches a native library; the product never does.
using System.Runtime.InteropServices;

namespace SwitchNative.Perf;

/// <summary>Access to libopenblas, when it is installed.</summary>
public static unsafe class OpenBlas
{
    private const int RowMajor = 101, NoTranspose = 111, Transpose = 112;
    private static readonly string[] LibraryNames = ["libopenblas.so.0", "libopenblas.so", "libopenblas"];


    /// <summary>Loads the library; false (with how to install it) when it is missing.</summary>
    public static bool TryLoad(out string message)
    {
        foreach (var name in LibraryNames)
        {
            if (!NativeLibrary.TryLoad(name, out var handle)) continue;
            Sgemm = (delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void>)NativeLibrary.GetExport(handle, "cblas_sgemm");
            SetThreads = (delegate* unmanaged<int, void>)NativeLibrary.GetExport(handle, "openblas_set_num_threads");
            Config = NativeLibrary.TryGetExport(handle, "openblas_get_config", out var config) ? (delegate* unmanaged<sbyte*>)config : null;
            message = Config is null ? name : $"{name}: {new string(Config())}";
            return true;
        }
        message = "libopenblas is not installed; install it with 'apt-get install libopenblas-dev' to compare against OpenBLAS";
        return false;
    }

    private static delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void> Sgemm;
    private static delegate* unmanaged<int, void> SetThreads;
    private static delegate* unmanaged<sbyte*> Config;

    /// <summary>Sets OpenBLAS's thread count.</summary>
    public static void Threads(int count) => SetThreads(count);

    /// <summary>Row-major C = α·op(A)·op(B) + β·C with dense leading dimensions.</summary>
    public static void Gemm(bool transposeA, bool transposeB, int m, int n, int k, float alpha, float* a, float* b, float beta, float* c) =>
        Sgemm(RowMajor, transposeA ? Transpose : NoTranspose, transposeB ? Transpose : NoTranspose, m, n, k, alpha,
            a, transposeA ? m : k, b, transposeB ? k : n, beta, c, n);
}
