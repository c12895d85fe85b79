namespace MoeScratch.Tensors.Autograd;

/// <summary>
/// One recorded op: its name, its inputs and the closure that turns the output gradient into input gradients
/// (by calling <see cref="Tensor.AccumulateGrad"/> on each input). The closure is written directly under the
/// forward in <c>Ops/*.cs</c> (micrograd's layout).
/// </summary>
internal sealed class Node
{
    public Node(string op, Tensor[] inputs, Action<Tensor> backward)
    {
        Op = op;
        Inputs = inputs;
        _backward = backward;
    }

    /// <summary>Op tag for debugging and error messages ("matmul", "conv2d", …).</summary>
    public string Op { get; }

    /// <summary>The tensors the op read.</summary>
    public Tensor[] Inputs { get; private set; }

    private Action<Tensor>? _backward;

    /// <summary>True once <see cref="Free"/> dropped the closure and the saved tensors.</summary>
    public bool IsFreed => _backward is null;

    public void Run(Tensor gradOutput)
    {
        var b = _backward ?? throw new InvalidOperationException(
            $"Backward: the graph through '{Op}' has already been freed by an earlier Backward(). " +
            "Pass retainGraph: true to the first Backward() to run backward twice, or recompute the forward.");
        b(gradOutput);
    }

    public void Free()
    {
        _backward = null;
        Inputs = [];
    }
}
