// The compiled kernels of one accelerator, each compiled on first use (a test or a run pays
// only for the kernels it launches).
using ILGPU;
using ILGPU.Runtime;
using SwitchNative.Ilgpu.Kernels;

namespace SwitchNative.Ilgpu;

internal sealed class IlgpuKernelSet(Accelerator accelerator)
{
    private Lazy<T> Load<T>(Func<T> load) => new(load);

    private Lazy<Action<Index1D, ArrayView<float>, TArg>> L1<TArg>(Action<Index1D, ArrayView<float>, TArg> kernel) where TArg : struct =>
        Load(() => accelerator.LoadAutoGroupedStreamKernel(kernel));

    public Lazy<Action<Index1D, ArrayView<float>, float>> Fill => _fill ??= L1<float>(ElementwiseKernels.Fill);
    private Lazy<Action<Index1D, ArrayView<float>, float>>? _fill;

    public Lazy<Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>>> Add => _add ??= Load(() => accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>>(ElementwiseKernels.Add));
    private Lazy<Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>>>? _add;

    public Lazy<Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>>> Multiply => _multiply ??= Load(() => accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>>(ElementwiseKernels.Multiply));
    private Lazy<Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>>>? _multiply;

    public Lazy<Action<Index1D, ArrayView<float>, float, ArrayView<float>>> Scale => _scale ??= Load(() => accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, float, ArrayView<float>>(ElementwiseKernels.Scale));
    private Lazy<Action<Index1D, ArrayView<float>, float, ArrayView<float>>>? _scale;

    public Lazy<Action<Index1D, ArrayView<float>, float, ArrayView<float>>> Axpy => _axpy ??= Load(() => accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, float, ArrayView<float>>(ElementwiseKernels.Axpy));
    private Lazy<Action<Index1D, ArrayView<float>, float, ArrayView<float>>>? _axpy;

    public Lazy<Action<Index1D, ArrayView<float>, ArrayView<float>>> Relu => _relu ??= Load(() => accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>>(ElementwiseKernels.Relu));
    private Lazy<Action<Index1D, ArrayView<float>, ArrayView<float>>>? _relu;

    public Lazy<Action<Index1D, ArrayView<float>, ArrayView<float>>> Gelu => _gelu ??= Load(() => accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>>(ElementwiseKernels.Gelu));
    private Lazy<Action<Index1D, ArrayView<float>, ArrayView<float>>>? _gelu;

    public Lazy<Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>>> ReluBackward => _reluBackward ??= Load(() => accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>>(ElementwiseKernels.ReluBackward));
    private Lazy<Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>>>? _reluBackward;

    public Lazy<Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>>> GeluBackward => _geluBackward ??= Load(() => accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>>(ElementwiseKernels.GeluBackward));
    private Lazy<Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>>>? _geluBackward;

    public Lazy<Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, AdamWArguments>> AdamW => _adamW ??= Load(() => accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, AdamWArguments>(ElementwiseKernels.AdamW));
    private Lazy<Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, AdamWArguments>>? _adamW;

    public Lazy<Action<Index1D, ArrayView<float>, RandomArguments>> Uniform => _uniform ??= L1<RandomArguments>(ElementwiseKernels.Uniform);
    private Lazy<Action<Index1D, ArrayView<float>, RandomArguments>>? _uniform;

    public Lazy<Action<Index1D, ArrayView<float>, RandomArguments>> Normal => _normal ??= L1<RandomArguments>(ElementwiseKernels.Normal);
    private Lazy<Action<Index1D, ArrayView<float>, RandomArguments>>? _normal;

    public Lazy<Action<Index1D, ArrayView<float>, RandomArguments>> TruncatedNormal => _truncatedNormal ??= L1<RandomArguments>(ElementwiseKernels.TruncatedNormal);
    private Lazy<Action<Index1D, ArrayView<float>, RandomArguments>>? _truncatedNormal;

    public Lazy<Action<Index1D, ArrayView<float>, RandomArguments>> DropoutMask => _dropoutMask ??= L1<RandomArguments>(ElementwiseKernels.DropoutMask);
    private Lazy<Action<Index1D, ArrayView<float>, RandomArguments>>? _dropoutMask;

    public Lazy<Action<Index1D, ArrayView<float>, ArrayView<float>, int>> Softmax => _softmax ??= Load(() => accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int>(RowKernels.Softmax));
    private Lazy<Action<Index1D, ArrayView<float>, ArrayView<float>, int>>? _softmax;

    public Lazy<Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>> SoftmaxBackward => _softmaxBackward ??= Load(() => accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(RowKernels.SoftmaxBackward));
    private Lazy<Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>>? _softmaxBackward;

    public Lazy<Action<Index1D, ArrayView<float>, ArrayView<float>, float, ArrayView<float>, ArrayView<float>, int>> RmsNorm => _rmsNorm ??= Load(() => accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, float, ArrayView<float>, ArrayView<float>, int>(RowKernels.RmsNorm));
    private Lazy<Action<Index1D, ArrayView<float>, ArrayView<float>, float, ArrayView<float>, ArrayView<float>, int>>? _rmsNorm;

    public Lazy<Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>> RmsNormBackwardInput => _rmsNormBackwardInput ??= Load(() => accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(RowKernels.RmsNormBackwardInput));
    private Lazy<Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>>? _rmsNormBackwardInput;

    public Lazy<Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>> RmsNormBackwardWeight => _rmsNormBackwardWeight ??= Load(() => accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>(RowKernels.RmsNormBackwardWeight));
    private Lazy<Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>>? _rmsNormBackwardWeight;

    public Lazy<Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, float, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>> LayerNorm => _layerNorm ??= Load(() => accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, float, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(RowKernels.LayerNorm));
    private Lazy<Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, float, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>>? _layerNorm;

    public Lazy<Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>> LayerNormBackwardInput => _layerNormBackwardInput ??= Load(() => accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(RowKernels.LayerNormBackwardInput));
    private Lazy<Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>>? _layerNormBackwardInput;

    public Lazy<Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>> LayerNormBackwardParameters => _layerNormBackwardParameters ??= Load(() => accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>(RowKernels.LayerNormBackwardParameters));
    private Lazy<Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>>? _layerNormBackwardParameters;

    public Lazy<Action<Index1D, ArrayView<float>, ArrayView<int>, int, ArrayView<float>, ArrayView<float>, int>> SoftmaxCrossEntropy => _softmaxCrossEntropy ??= Load(() => accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<int>, int, ArrayView<float>, ArrayView<float>, int>(RowKernels.SoftmaxCrossEntropy));
    private Lazy<Action<Index1D, ArrayView<float>, ArrayView<int>, int, ArrayView<float>, ArrayView<float>, int>>? _softmaxCrossEntropy;

    public Lazy<Action<KernelConfig, ArrayView<float>, ArrayView<int>, int, ArrayView<float>, ArrayView<float>, int>> SoftmaxCrossEntropyGroup => _softmaxCrossEntropyGroup ??= Load(() => accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<int>, int, ArrayView<float>, ArrayView<float>, int>(RowKernels.SoftmaxCrossEntropyGroup));
    private Lazy<Action<KernelConfig, ArrayView<float>, ArrayView<int>, int, ArrayView<float>, ArrayView<float>, int>>? _softmaxCrossEntropyGroup;

    public Lazy<Action<Index1D, ArrayView<float>, ArrayView<int>, int, float, ArrayView<float>, int>> SoftmaxCrossEntropyBackward => _softmaxCrossEntropyBackward ??= Load(() => accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<int>, int, float, ArrayView<float>, int>(RowKernels.SoftmaxCrossEntropyBackward));
    private Lazy<Action<Index1D, ArrayView<float>, ArrayView<int>, int, float, ArrayView<float>, int>>? _softmaxCrossEntropyBackward;

    public Lazy<Action<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, int>> Embedding => _embedding ??= Load(() => accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, int>(RowKernels.Embedding));
    private Lazy<Action<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, int>>? _embedding;

    public Lazy<Action<Index1D, ArrayView<int>, ArrayView<float>, ArrayView<float>, int, int>> EmbeddingBackward => _embeddingBackward ??= Load(() => accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<int>, ArrayView<float>, ArrayView<float>, int, int>(RowKernels.EmbeddingBackward));
    private Lazy<Action<Index1D, ArrayView<int>, ArrayView<float>, ArrayView<float>, int, int>>? _embeddingBackward;

    public Lazy<Action<Index1D, ArrayView<float>, ArrayView<double>, int>> ReducePartial => _reducePartial ??= Load(() => accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<double>, int>(RowKernels.ReducePartial));
    private Lazy<Action<Index1D, ArrayView<float>, ArrayView<double>, int>>? _reducePartial;

    public Lazy<Action<Index1D, ArrayView<double>, int, int, ArrayView<float>>> ReduceFinal => _reduceFinal ??= Load(() => accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<double>, int, int, ArrayView<float>>(RowKernels.ReduceFinal));
    private Lazy<Action<Index1D, ArrayView<double>, int, int, ArrayView<float>>>? _reduceFinal;

    public Lazy<Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, GemmArguments>> Gemm => _gemm ??= Load(() => accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, GemmArguments>(GemmKernels.Gemm));
    private Lazy<Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, GemmArguments>>? _gemm;

    public Lazy<Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, GemmArguments>> GemmDirect => _gemmDirect ??= Load(() => accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, GemmArguments>(GemmKernels.Direct));
    private Lazy<Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, GemmArguments>>? _gemmDirect;

    public Lazy<Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, AttentionArguments>> AttentionForward => _attentionForward ??= Load(() => accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, AttentionArguments>(AttentionKernels.Forward));
    private Lazy<Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, AttentionArguments>>? _attentionForward;

    public Lazy<Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, AttentionArguments>> AttentionScoreGradient => _attentionScoreGradient ??= Load(() => accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, AttentionArguments>(AttentionKernels.ScoreGradient));
    private Lazy<Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, AttentionArguments>>? _attentionScoreGradient;

    public Lazy<Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, AttentionArguments>> AttentionQueryGradient => _attentionQueryGradient ??= Load(() => accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, AttentionArguments>(AttentionKernels.QueryGradient));
    private Lazy<Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, AttentionArguments>>? _attentionQueryGradient;

    public Lazy<Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, AttentionArguments>> AttentionKeyValueGradient => _attentionKeyValueGradient ??= Load(() => accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, AttentionArguments>(AttentionKernels.KeyValueGradient));
    private Lazy<Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, AttentionArguments>>? _attentionKeyValueGradient;

    public Lazy<Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int>> AttentionDecode => _attentionDecode ??= Load(() => accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int>(AttentionKernels.Decode));
    private Lazy<Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int>>? _attentionDecode;

    public Lazy<Action<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, int, ArrayView<float>, int>> Dispatch => _dispatch ??= Load(() => accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, int, ArrayView<float>, int>(ExpertKernels.Dispatch));
    private Lazy<Action<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, int, ArrayView<float>, int>>? _dispatch;

    public Lazy<Action<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, int, ArrayView<float>, int, int>> Combine => _combine ??= Load(() => accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, int, ArrayView<float>, int, int>(ExpertKernels.Combine));
    private Lazy<Action<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, int, ArrayView<float>, int, int>>? _combine;

    public Lazy<Action<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, int, int>> CombineGateGradient => _combineGateGradient ??= Load(() => accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, int, int>(ExpertKernels.CombineGateGradient));
    private Lazy<Action<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, int, int>>? _combineGateGradient;

    public Lazy<Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<double>, RoutingArguments>> RouteTokens => _routeTokens ??= Load(() => accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<double>, RoutingArguments>(RoutingKernels.Tokens));
    private Lazy<Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<double>, RoutingArguments>>? _routeTokens;

    public Lazy<Action<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<int>, ArrayView<int>, ArrayView<int>, ArrayView<int>, ArrayView<double>, ArrayView<int>, RoutingArguments>> RouteGroups => _routeGroups ??= Load(() => accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<int>, ArrayView<int>, ArrayView<int>, ArrayView<int>, ArrayView<double>, ArrayView<int>, RoutingArguments>(RoutingKernels.Groups));
    private Lazy<Action<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<int>, ArrayView<int>, ArrayView<int>, ArrayView<int>, ArrayView<double>, ArrayView<int>, RoutingArguments>>? _routeGroups;

    public Lazy<Action<Index1D, ArrayView<int>, ArrayView<int>, ArrayView<int>, ArrayView<float>, ArrayView<int>, ArrayView<int>, ArrayView<int>, ArrayView<float>, RoutingArguments>> RouteLayout => _routeLayout ??= Load(() => accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<int>, ArrayView<int>, ArrayView<int>, ArrayView<float>, ArrayView<int>, ArrayView<int>, ArrayView<int>, ArrayView<float>, RoutingArguments>(RoutingKernels.Layout));
    private Lazy<Action<Index1D, ArrayView<int>, ArrayView<int>, ArrayView<int>, ArrayView<float>, ArrayView<int>, ArrayView<int>, ArrayView<int>, ArrayView<float>, RoutingArguments>>? _routeLayout;

    public Lazy<Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, int, float, float, ArrayView<float>, RoutingArguments>> RouterBackward => _routerBackward ??= Load(() => accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, int, float, float, ArrayView<float>, RoutingArguments>(RoutingKernels.Backward));
    private Lazy<Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, int, float, float, ArrayView<float>, RoutingArguments>>? _routerBackward;
}
