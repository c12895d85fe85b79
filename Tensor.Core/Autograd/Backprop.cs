using MoeScratch.Tensors.Autograd;
using MoeScratch.Tensors.Internal;

namespace MoeScratch.Tensors;

public sealed partial class Tensor
{
    /// <summary>Disables graph recording on this thread until the returned scope is disposed.</summary>
    public static GradMode.NoGradScope NoGrad() => new(true);

    /// <summary>
    /// Back-propagates from this tensor: leaves with <see cref="RequiresGrad"/> get their gradient added to
    /// <see cref="Grad"/>. Intermediates' gradients are not kept. The graph is freed afterwards unless
    /// <paramref name="retainGraph"/> is true.
    /// </summary>
    /// <param name="gradient">dL/dthis; defaults to 1 for a one-element tensor.</param>
    /// <param name="retainGraph">Keep the graph for a second backward pass.</param>
    /// <exception cref="InvalidOperationException">
    /// The tensor does not require grad (computed under NoGrad or from constants), it has many elements and no
    /// gradient was given, or the graph was already freed.
    /// </exception>
    public void Backward(Tensor? gradient = null, bool retainGraph = false)
    {
        if (!RequiresGrad)
        {
            ThrowHelper.InvalidOperation($"Backward: {Describe()} does not require grad. It was computed under " +
                "Tensor.NoGrad() or only from tensors with RequiresGrad = false (did you detach it, or forget to " +
                "mark the parameters?).");
        }
        if (gradient is null && Count != 1)
        {
            ThrowHelper.InvalidOperation($"Backward: {Describe()} has {Count} elements; pass the output gradient " +
                                         "explicitly or reduce to a scalar (e.g. Ops.Mean) first.");
        }
        if (gradient is not null) ThrowHelper.ShapesEqual("Backward", gradient.Shape, Shape, "gradient", "output");

        using var noGrad = NoGrad();
        var order = TopologicalOrder(this);
        var grads = new Dictionary<Tensor, Tensor>(ReferenceEqualityComparer.Instance);
        grads[this] = gradient ?? Tensor.Full(Shape, 1f, Backend);

        // Reverse topological order: every consumer runs before its producers, so a tensor's gradient is
        // complete when its node runs.
        for (int i = order.Count - 1; i >= 0; i--)
        {
            var t = order[i];
            if (!grads.Remove(t, out var g)) continue;
            var node = t._gradFn!;
            _currentGrads = grads;
            try
            {
                if (BackwardNodeTimer is { } timer)
                {
                    long start = System.Diagnostics.Stopwatch.GetTimestamp();
                    node.Run(g);
                    timer(node.Op, System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                }
                else
                {
                    node.Run(g);
                }
            }
            finally
            {
                _currentGrads = null;
            }
            if (!retainGraph) node.Free();
        }
    }

    [ThreadStatic] private static Dictionary<Tensor, Tensor>? _currentGrads;

    /// <summary>
    /// Diagnostic hook (the benchmarks' <c>profile --ops</c>): when set, <see cref="Backward"/> times each node's
    /// closure and reports (op tag, milliseconds). Null in normal use, where it costs one static load per node.
    /// On a device backend the time is only the launch time.
    /// </summary>
    internal static Action<string, double>? BackwardNodeTimer { get; set; }

    /// <summary>
    /// Adds <paramref name="g"/> to this tensor's gradient. Called by backward closures; <paramref name="g"/> must
    /// already have this tensor's shape (use <see cref="SumToShape"/> after broadcasting).
    /// </summary>
    internal void AccumulateGrad(Tensor g)
    {
        if (!RequiresGrad) return;
        ThrowHelper.ShapesEqual("AccumulateGrad", g.Shape, Shape, "gradient", "tensor");
        if (_gradFn is null)
        {
            // Leaf: the gradient outlives any TensorScope, so it is allocated untracked and reused across steps.
            if (_grad is null || _gradIsZero)
            {
                _grad ??= new Tensor(Shape, Backend.Allocate(Count, zero: false), track: false);
                _gradIsZero = false;
                Backend.Copy(_grad, g);
            }
            else
            {
                Backend.Binary(BinaryOp.Add, _grad, _grad, g);
            }
            return;
        }
        var grads = _currentGrads ?? throw new InvalidOperationException("AccumulateGrad called outside Backward.");
        if (grads.TryGetValue(this, out var acc))
        {
            // Out of place: backward closures may hand the same gradient tensor to several inputs.
            var sum = Tensor.Empty(Shape, Backend);
            Backend.Binary(BinaryOp.Add, sum, acc, g);
            grads[this] = sum;
        }
        else
        {
            grads[this] = g;
        }
    }

    /// <summary>
    /// For a leaf that requires grad: its gradient tensor (zero-allocated if absent), for a backward kernel to
    /// accumulate into in place; otherwise null, and the closure goes through <see cref="AccumulateGrad"/>.
    /// </summary>
    /// <remarks>
    /// The GEMMs and conv weight-gradient kernels can add into their output for free, so a parameter's gradient is
    /// written once instead of into a temporary that a second pass then adds to Grad (1.6 M floats for the
    /// Nature-DQN Linear's weight: one buffer and three 6.4 MB streams less per step).
    /// </remarks>
    internal Tensor? LeafGradTarget()
    {
        if (!RequiresGrad || _gradFn is not null) return null;
        if (Grad is { } g) return g.Backend == Backend && g.Shape == Shape ? g : null; // the getter writes pending zeros
        Grad = new Tensor(Shape, Backend.Allocate(Count, zero: true), track: false);
        return Grad;
    }

    /// <summary>
    /// As <see cref="LeafGradTarget()"/>, for a kernel that can either add into its output or overwrite it:
    /// <paramref name="overwrite"/> is true when the gradient is logically zero (fresh, or after
    /// <see cref="ZeroGrad"/>), and the caller must then write every element (the zeros are never filled in).
    /// </summary>
    internal Tensor? LeafGradTarget(out bool overwrite)
    {
        overwrite = false;
        if (!RequiresGrad || _gradFn is not null) return null;
        if (_grad is { } g)
        {
            if (g.Backend != Backend || g.Shape != Shape) return null;
            overwrite = _gradIsZero;
            _gradIsZero = false;
            return g;
        }
        overwrite = true;
        Grad = new Tensor(Shape, Backend.Allocate(Count, zero: false), track: false);
        return _grad;
    }

    /// <summary>Sums a broadcast gradient back to <paramref name="shape"/> (NumPy's unbroadcast).</summary>
    internal static Tensor SumToShape(Tensor g, Shape shape)
    {
        if (g.Shape == shape) return g;
        int lead = g.Rank - shape.Rank;
        var keep = new int[g.Rank];
        for (int i = 0; i < g.Rank; i++)
        {
            keep[i] = i < lead ? 1 : shape.Dims[i - lead];
        }
        var y = Tensor.Empty(Shape.Wrap(keep), g.Backend);
        g.Backend.Reduce(ReduceOp.Sum, y, g);
        return y.Reshape(shape.ToArray());
    }

    private static List<Tensor> TopologicalOrder(Tensor root)
    {
        // Iterative DFS (a recursive one overflows the stack on long graphs).
        var order = new List<Tensor>();
        var visited = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<(Tensor t, int next)>();
        stack.Push((root, 0));
        visited.Add(root);
        while (stack.Count > 0)
        {
            var (t, next) = stack.Pop();
            var node = t._gradFn;
            if (node is null)
            {
                continue;
            }
            if (node.IsFreed)
            {
                ThrowHelper.InvalidOperation($"Backward: the graph through '{node.Op}' ({t.Describe()}) has already " +
                    "been freed by an earlier Backward(). Pass retainGraph: true to the first call, or recompute the forward.");
            }
            var inputs = node.Inputs;
            if (next < inputs.Length)
            {
                stack.Push((t, next + 1));
                var child = inputs[next];
                if (child.RequiresGrad && child._gradFn is not null && visited.Add(child))
                {
                    stack.Push((child, 0));
                }
            }
            else
            {
                order.Add(t);
            }
        }
        return order;
    }
}
