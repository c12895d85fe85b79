using TP = System.Numerics.Tensors.TensorPrimitives;

namespace MoeScratch.Tensors.Cpu.Kernels;

/// <summary>
/// Reductions written as a broadcast accumulation: y (keep-dims shape) is read with stride 0 along reduced axes,
/// so each input row either folds into one output element (reduced last axis) or into an output row.
/// </summary>
internal static class ReduceKernels
{
    public static void Reduce(ReduceOp op, float[] y, Shape yShape, float[] x, Shape xShape)
    {
        var ys = y.AsSpan(0, yShape.Count);
        ys.Fill(op switch { ReduceOp.Sum => 0f, ReduceOp.Max => float.NegativeInfinity, _ => float.PositiveInfinity });
        if (xShape.Count == 0) return;
        var (dims, sx, sy) = StridedLoop.Coalesce(xShape.Dims, xShape.Strides(), yShape.BroadcastStrides(xShape));
        int len = dims[^1], iy = sy[^1];
        StridedLoop.ForEachRow(dims, sx, sy, (_, ox, oy) =>
        {
            var xr = x.AsSpan(ox, len);
            if (iy == 0)
            {
                float v = op switch { ReduceOp.Sum => TP.Sum(xr), ReduceOp.Max => TP.Max(xr), _ => TP.Min(xr) };
                y[oy] = Combine(op, y[oy], v);
            }
            else
            {
                var yr = y.AsSpan(oy, len);
                switch (op)
                {
                    case ReduceOp.Sum: TP.Add(yr, xr, yr); break;
                    case ReduceOp.Max: TP.Max(yr, xr, yr); break;
                    default: TP.Min(yr, xr, yr); break;
                }
            }
        });
    }

    private static float Combine(ReduceOp op, float acc, float v) => op switch
    {
        ReduceOp.Sum => acc + v,
        ReduceOp.Max => float.IsNaN(v) || float.IsNaN(acc) ? float.NaN : Math.Max(acc, v),
        _ => float.IsNaN(v) || float.IsNaN(acc) ? float.NaN : Math.Min(acc, v),
    };
}
