using MoeScratch.Tensors.Autograd;
using MoeScratch.Tensors.Internal;

namespace MoeScratch.Tensors;

/// <summary>
/// The public op API. Each op validates shapes, runs one backend primitive and, when recording, registers its
/// backward closure directly underneath. One file per family in <c>Ops/</c>.
/// </summary>
/// <remarks>
/// Layout is NHWC for images and HWIO ([kh, kw, in, out]) for conv weights, as in flax/Dopamine whose networks
/// the papers use: the conv output of im2col·W is NHWC with no transpose, and PerConv tokens
/// ([B, H·W, C]) are a free reshape of the encoder output.
/// <para>Index tensors (Gather, IndexSelect, OneHot, ArgMax and TopK outputs, actions) are ordinary float32
/// tensors holding exact integer values; floats represent every integer below 2^24 exactly, far beyond any axis
/// size here. Index ops reject values that are fractional, negative or out of range.</para>
/// </remarks>
public static partial class Ops
{
    /// <summary>Creates the output of an op on the input's backend.</summary>
    internal static Tensor NewLike(Tensor like, Shape shape) => Tensor.Empty(shape, like.Backend);

    /// <summary>Registers a backward node on <paramref name="output"/>.</summary>
    internal static void Record(Tensor output, string op, Tensor[] inputs, Action<Tensor> backward) =>
        output.SetGradFn(new Node(op, inputs, backward));
}
