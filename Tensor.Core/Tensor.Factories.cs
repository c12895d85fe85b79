using MoeScratch.Tensors.Cpu;
using MoeScratch.Tensors.Internal;

namespace MoeScratch.Tensors;

public sealed partial class Tensor
{
    private static IBackend Dev(IBackend? backend) => backend ?? CpuBackend.Instance;

    /// <summary>An uninitialized tensor (contents undefined; pooled memory may hold old values).</summary>
    public static Tensor Empty(Shape shape, IBackend? backend = null) => new(shape, Dev(backend).Allocate(shape.Count, zero: false));

    /// <summary>A tensor of zeros.</summary>
    public static Tensor Zeros(Shape shape, IBackend? backend = null) => new(shape, Dev(backend).Allocate(shape.Count, zero: true));

    /// <summary>A tensor of ones.</summary>
    public static Tensor Ones(Shape shape, IBackend? backend = null) => Full(shape, 1f, backend);

    /// <summary>A tensor filled with <paramref name="value"/>.</summary>
    public static Tensor Full(Shape shape, float value, IBackend? backend = null)
    {
        var t = Empty(shape, backend);
        t.Backend.Fill(t, value);
        return t;
    }

    /// <summary>A one-element tensor of shape [] holding <paramref name="value"/>.</summary>
    public static Tensor Scalar(float value, IBackend? backend = null) => Full(Shape.Wrap([]), value, backend);

    /// <summary>Copies <paramref name="data"/> into a tensor of the given shape.</summary>
    /// <exception cref="ArgumentException">The data length differs from the shape's element count.</exception>
    public static Tensor FromArray(ReadOnlySpan<float> data, Shape shape, IBackend? backend = null)
    {
        if (data.Length != shape.Count)
        {
            ThrowHelper.Argument($"FromArray: {data.Length} values given for shape {shape}, which needs {shape.Count}.");
        }
        var t = Empty(shape, backend);
        t.Backend.Upload(t.Storage, data);
        return t;
    }

    /// <summary>A 1-D tensor of <paramref name="data"/>.</summary>
    public static Tensor FromArray(float[] data, IBackend? backend = null) => FromArray(data, Shape.Wrap([data.Length]), backend);

    /// <summary>
    /// Frames to floats: <c>y = bytes · scale</c> (default 1/255), as the DQN family feeds uint8 observations.
    /// </summary>
    public static Tensor FromBytes(ReadOnlySpan<byte> data, Shape shape, float scale = 1f / 255f, IBackend? backend = null)
    {
        if (data.Length != shape.Count)
        {
            ThrowHelper.Argument($"FromBytes: {data.Length} bytes given for shape {shape}, which needs {shape.Count}.");
        }
        var t = Empty(shape, backend);
        t.Backend.UploadBytes(t.Storage, data, scale);
        return t;
    }

    /// <summary>[start, start+step, …) up to <paramref name="stop"/> (exclusive), as floats.</summary>
    public static Tensor Arange(float start, float stop, float step = 1f, IBackend? backend = null)
    {
        if (step == 0f || float.IsNaN(step)) ThrowHelper.Argument($"Arange: step must be non-zero, got {step}.");
        int n = Math.Max(0, (int)Math.Ceiling((stop - start) / step));
        var data = new float[n];
        for (int i = 0; i < n; i++) data[i] = start + i * step;
        return FromArray(data, Shape.Wrap([n]), backend);
    }

    /// <summary>Uniform samples in [low, high).</summary>
    public static Tensor Uniform(Shape shape, float low, float high, Rng rng, IBackend? backend = null)
    {
        var data = new float[shape.Count];
        for (int i = 0; i < data.Length; i++) data[i] = low + (high - low) * rng.NextFloat();
        return FromArray(data, shape, backend);
    }

    /// <summary>Normal samples with the given mean and standard deviation.</summary>
    public static Tensor Normal(Shape shape, float mean, float std, Rng rng, IBackend? backend = null)
    {
        var data = new float[shape.Count];
        for (int i = 0; i < data.Length; i++) data[i] = (float)(mean + std * rng.NextNormal());
        return FromArray(data, shape, backend);
    }

    /// <summary>
    /// Normal samples truncated to [mean − 2·std, mean + 2·std] by rejection (the distribution JAX's
    /// <c>truncated_normal(-2, 2)</c> draws from; the flax variance correction is applied by the caller's std).
    /// </summary>
    public static Tensor TruncatedNormal(Shape shape, float mean, float std, Rng rng, IBackend? backend = null)
    {
        var data = new float[shape.Count];
        for (int i = 0; i < data.Length; i++)
        {
            double z;
            do z = rng.NextNormal(); while (z < -2.0 || z > 2.0);
            data[i] = (float)(mean + std * z);
        }
        return FromArray(data, shape, backend);
    }

    /// <summary>A tensor with the same shape and backend, uninitialized.</summary>
    public Tensor EmptyLike() => Empty(Shape, Backend);

    /// <summary>A tensor with the same shape and backend, filled with zeros.</summary>
    public Tensor ZerosLike() => Zeros(Shape, Backend);
}
