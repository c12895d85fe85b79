namespace MoeScratch.Tensors;

/// <summary>
/// Every size a 2-D convolution or pooling primitive needs, resolved once by the op: input x [Batch, H, W, C],
/// kernel [KH, KW, C, Cout] (pooling: window KH×KW and Cout = C), output [Batch, OH, OW, Cout].
/// </summary>
/// <param name="Batch">B, images in the batch.</param>
/// <param name="H">Input height.</param>
/// <param name="W">Input width.</param>
/// <param name="C">Input channels.</param>
/// <param name="KH">Kernel (window) height.</param>
/// <param name="KW">Kernel (window) width.</param>
/// <param name="Cout">Output channels (pooling: equal to C).</param>
/// <param name="StrideH">Vertical stride.</param>
/// <param name="StrideW">Horizontal stride.</param>
/// <param name="PadTop">Rows of padding above the input.</param>
/// <param name="PadBottom">Rows of padding below the input.</param>
/// <param name="PadLeft">Columns of padding left of the input.</param>
/// <param name="PadRight">Columns of padding right of the input.</param>
/// <param name="OH">Output height.</param>
/// <param name="OW">Output width.</param>
public readonly record struct Conv2dGeometry(int Batch, int H, int W, int C, int KH, int KW, int Cout,
                                             int StrideH, int StrideW, int PadTop, int PadBottom, int PadLeft,
                                             int PadRight, int OH, int OW)
{
    /// <summary>Resolves the padding and output size for an NHWC input of shape <paramref name="x"/>.</summary>
    /// <exception cref="ArgumentException">x is not rank 4, or <see cref="Padding.Resolve"/> rejects a size.</exception>
    public static Conv2dGeometry Create(string op, Shape x, int kh, int kw, int cout, int strideH, int strideW,
                                        Padding padding)
    {
        if (x.Rank != 4)
        {
            Internal.ThrowHelper.Argument($"{op}: input must be NHWC [B, H, W, C], got {x}.");
        }
        var (top, bottom, oh) = padding.Resolve(op, x[1], kh, strideH, vertical: true);
        var (left, right, ow) = padding.Resolve(op, x[2], kw, strideW, vertical: false);
        return new Conv2dGeometry(x[0], x[1], x[2], x[3], kh, kw, cout, strideH, strideW, top, bottom, left, right,
                                  oh, ow);
    }

    /// <summary>Length of one im2col row (one receptive field): KH·KW·C.</summary>
    public int PatchSize => KH * KW * C;

    /// <summary>Output pixels per image: OH·OW.</summary>
    public int OutPixels => OH * OW;

    /// <summary>Output shape [Batch, OH, OW, Cout].</summary>
    public Shape OutputShape => new(Batch, OH, OW, Cout);

    /// <summary>Multiply-add FLOPs of the forward convolution: 2·B·OH·OW·KH·KW·C·Cout.</summary>
    public double ForwardFlops => 2.0 * Batch * OutPixels * PatchSize * Cout;
}
