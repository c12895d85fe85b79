using MoeScratch.Nn.Heads;
using MoeScratch.Nn.Moe;
using MoeScratch.Tensors;

namespace MoeScratch.Nn.Networks;

/// <summary>Everything one forward pass of a value network yields.</summary>
/// <param name="Q">Action values [B, A].</param>
/// <param name="Logits">Per-atom logits [B, A, atoms] for C51 heads, else null.</param>
/// <param name="Probabilities">Atom probabilities [B, A, atoms] for C51 heads, else null.</param>
/// <param name="Features">The head's input [B, F] (feature norm, srank analyses).</param>
/// <param name="Encoded">The encoder output [B, h, w, c].</param>
/// <param name="Moe">MoE statistics when the torso has an MoE, else null.</param>
/// <param name="Hidden">Penultimate post-ReLU activations (dense torsos) for dormant-neuron analysis, else null.</param>
public sealed record QNetworkOutput(Tensor Q, Tensor? Logits, Tensor? Probabilities, Tensor Features, Tensor Encoded,
                                    MoeOutput? Moe, Tensor? Hidden);

/// <summary>
/// encoder → torso → head, composed rather than switched. Input: observations [B, H, W, C] already
/// scaled to floats (frames ÷ 255).
/// </summary>
public sealed class QNetwork : Module
{
    /// <summary>Composes a network.</summary>
    public QNetwork(Layer encoder, Torso torso, RainbowHead head)
    {
        Encoder = RegisterModule("encoder", encoder);
        Torso = RegisterModule("torso", torso);
        Head = RegisterModule("head", head);
    }

    /// <summary>The convolutional encoder.</summary>
    public Layer Encoder { get; }

    /// <summary>The middle (dense, MoE or tokenized aggregation).</summary>
    public Torso Torso { get; }

    /// <summary>The value head.</summary>
    public RainbowHead Head { get; }

    /// <summary>Number of actions.</summary>
    public int Actions => Head.Actions;

    /// <summary>Runs the network.</summary>
    public QNetworkOutput Forward(Tensor observations)
    {
        var encoded = Encoder.Forward(observations);
        var torso = Torso.Forward(encoded);
        var head = Head.Forward(torso.Features);
        return new QNetworkOutput(head.Q, head.Logits, head.Probabilities, torso.Features, encoded, torso.Moe, torso.Hidden);
    }
}
