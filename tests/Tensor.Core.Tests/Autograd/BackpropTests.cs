namespace MoeScratch.Tensors.Tests.Autograd;


public class BackpropTests
{
    [Test]
    public void Backward_AccumulatesAcrossCalls()
    {
        var x = Tensor.FromArray([2f, 3f]);
        x.RequiresGrad = true;
        Ops.Sum(Ops.Mul(x, x)).Backward();
        Ops.Sum(Ops.Mul(x, x)).Backward();
        Assert.That(x.Grad!.ToArray(), Is.EqualTo(new[] { 8f, 12f }).AsCollection);
    }

    /// <summary>
    /// MatMul and Conv2d add a leaf weight's gradient straight into its Grad (Tensor.LeafGradTarget): a weight used
    /// twice in one graph, and a Grad already holding a value, must both still sum.
    /// </summary>
    [Test]
    public void Backward_LeafWeightGradients_AccumulateInPlace()
    {
        // MatMul: s = Σ x·W + Σ (2x)·W, so dW[i, j] = 3 Σ_r x[r, i] = column sums of 3x; Grad starts at 1.
        var x = Tensor.FromArray([1f, 2f, 3f, 4f, 5f, 6f], new Shape(2, 3));
        var w = Tensor.FromArray([0.5f, -1f, 2f, 0f, 1f, 1f], new Shape(3, 2));
        w.RequiresGrad = true;
        w.Grad = Tensor.Full(w.Shape, 1f);
        Ops.Sum(Ops.Add(Ops.MatMul(x, w), Ops.MatMul(Ops.Scale(x, 2f), w))).Backward();
        float[] colSums = [5f, 7f, 9f];
        var expected = Enumerable.Range(0, 6).Select(i => 1f + 3f * colSums[i / 2]).ToArray();
        Assert.That(w.Grad!.ToArray(), Is.EqualTo(expected).AsCollection.Within(1e-5));

        // Conv2d with a 1×1 kernel over [1, 2, 2, 1]: dW = Σ x, dBias = pixel count, twice (two calls, no preset Grad).
        var img = Tensor.FromArray([1f, 2f, 3f, 4f], new Shape(1, 2, 2, 1));
        var k = Tensor.FromArray([3f], new Shape(1, 1, 1, 1));
        var bias = Tensor.FromArray([0f], new Shape(1));
        k.RequiresGrad = true;
        bias.RequiresGrad = true;
        for (int i = 0; i < 2; i++) Ops.Sum(Ops.Conv2d(img, k, bias)).Backward();
        Assert.That(k.Grad!.ToArray(), Is.EqualTo(new[] { 20f }).AsCollection.Within(1e-5));
        Assert.That(bias.Grad!.ToArray(), Is.EqualTo(new[] { 8f }).AsCollection.Within(1e-5));
    }

    /// <summary>
    /// ZeroGrad defers the clearing: a reader sees zeros, the first MatMul / AccumulateGrad writer overwrites the stale
    /// values (the weight used twice must still sum its two products), and a later Backward adds again.
    /// </summary>
    [Test]
    public void ZeroGrad_DeferredClear_OverwritesThenAccumulates()
    {
        var x = Tensor.FromArray([1f, 2f, 3f, 4f, 5f, 6f], new Shape(2, 3));
        var w = Tensor.FromArray([0.5f, -1f, 2f, 0f, 1f, 1f], new Shape(3, 2));
        var bias = Tensor.FromArray([0f, 0f], new Shape(2));
        w.RequiresGrad = true;
        bias.RequiresGrad = true;
        void Step() => Ops.Sum(Ops.Add(Ops.Add(Ops.MatMul(x, w), Ops.MatMul(Ops.Scale(x, 2f), w)), bias)).Backward();
        float[] colSums = [5f, 7f, 9f];
        var once = Enumerable.Range(0, 6).Select(i => 3f * colSums[i / 2]).ToArray();

        w.Grad = Tensor.Full(w.Shape, 7f);
        bias.Grad = Tensor.Full(bias.Shape, 7f);
        w.ZeroGrad();
        bias.ZeroGrad();
        Step();
        Assert.That(w.Grad!.ToArray(), Is.EqualTo(once).AsCollection.Within(1e-5));
        Assert.That(bias.Grad!.ToArray(), Is.EqualTo(new[] { 2f, 2f }).AsCollection);
        Step();
        Assert.That(w.Grad!.ToArray(), Is.EqualTo(once.Select(v => 2 * v).ToArray()).AsCollection.Within(1e-5));

        w.ZeroGrad();
        Assert.That(w.Grad!.ToArray(), Is.All.EqualTo(0f), "read after ZeroGrad without a backward");
        w.ZeroGrad();
        Ops.Sum(Ops.Add(Ops.MatMul(x, Tensor.Ones(w.Shape)), bias)).Backward(); // w unused
        Assert.That(w.Grad!.ToArray(), Is.All.EqualTo(0f), "a parameter no backward reached stays zero");
    }

    [Test]
    public void Backward_DiamondGraph_SumsBothPaths()
    {
        // y = (x·2) + (x·3) shares x through two paths; a shared gradient tensor must not be mutated.
        var x = Tensor.FromArray([1f, -1f]);
        x.RequiresGrad = true;
        var a = Ops.Scale(x, 2f);
        var b = Ops.Scale(x, 3f);
        var y = Ops.Add(a, b);
        var z = Ops.Mul(y, a);
        Ops.Sum(z).Backward();
        // z = 10x² → dz/dx = 20x
        Assert.That(x.Grad!.ToArray(), Is.EqualTo(new[] { 20f, -20f }).AsCollection.Within(1e-5));
    }

    [Test]
    public void Backward_Twice_ThrowsFreedGraph()
    {
        var x = Tensor.FromArray([1f]);
        x.RequiresGrad = true;
        var y = Ops.Sum(Ops.Exp(x));
        y.Backward();
        Assert.That(() => y.Backward(), Throws.InvalidOperationException.With.Message.Contains("freed"));
    }

    [Test]
    public void Backward_RetainGraph_AllowsSecondPass()
    {
        var x = Tensor.FromArray([1f]);
        x.RequiresGrad = true;
        var y = Ops.Sum(Ops.Scale(x, 3f));
        y.Backward(retainGraph: true);
        y.Backward();
        Assert.That(x.Grad!.Item(), Is.EqualTo(6f));
    }

    [Test]
    public void Backward_UnderNoGrad_ThrowsClearError()
    {
        var x = Tensor.FromArray([1f]);
        x.RequiresGrad = true;
        Tensor y;
        using (Tensor.NoGrad()) y = Ops.Sum(Ops.Exp(x));
        Assert.That(y.RequiresGrad, Is.False);
        Assert.That(() => y.Backward(), Throws.InvalidOperationException.With.Message.Contains("NoGrad"));
    }

    [Test]
    public void Detach_StopsGradient()
    {
        var x = Tensor.FromArray([2f]);
        x.RequiresGrad = true;
        var y = Ops.Add(Ops.Mul(x, x.Detach()), x);
        y.Backward();
        Assert.That(x.Grad!.Item(), Is.EqualTo(3f));
    }

    [Test]
    public void Backward_LongChain_DoesNotOverflowStack()
    {
        var x = Tensor.FromArray([1f]);
        x.RequiresGrad = true;
        var y = x;
        for (int i = 0; i < 20000; i++) y = Ops.AddScalar(y, 0f);
        y.Backward();
        Assert.That(x.Grad!.Item(), Is.EqualTo(1f));
    }

    [Test]
    public void TensorScope_RecyclesIntermediates()
    {
        var backend = Cpu.CpuBackend.Instance;
        var w = Tensor.Ones(new Shape(64, 64));
        w.RequiresGrad = true;
        for (int step = 0; step < 3; step++)
        {
            using var scope = TensorScope.Begin();
            var y = Ops.Sum(Ops.Relu(Ops.Mul(w, w)));
            y.Backward();
        }
        long missesBefore = backend.PoolMisses;
        for (int step = 0; step < 3; step++)
        {
            using var scope = TensorScope.Begin();
            var y = Ops.Sum(Ops.Relu(Ops.Mul(w, w)));
            y.Backward();
        }
        Assert.That(backend.PoolMisses, Is.EqualTo(missesBefore), "steady-state steps must not allocate fresh arrays");
        Assert.That(w.Grad!.At(0, 0), Is.EqualTo(12f));
    }

    [Test]
    public void DisposedTensor_ThrowsObjectDisposed()
    {
        Tensor t;
        using (TensorScope.Begin()) t = Tensor.Zeros(new Shape(2));
        Assert.That(() => t.ToArray(), Throws.TypeOf<ObjectDisposedException>().With.Message.Contains("TensorScope"));
    }

    [Test]
    public void Reshape_IsViewAndPropagatesGradient()
    {
        var x = Tensor.FromArray([1f, 2f, 3f, 4f, 5f, 6f], new Shape(2, 3));
        x.RequiresGrad = true;
        var r = x.Reshape(3, -1);
        Assert.That(r.Shape, Is.EqualTo(new Shape(3, 2)));
        Ops.Sum(Ops.Square(r)).Backward();
        Assert.That(x.Grad!.ToArray(), Is.EqualTo(new[] { 2f, 4f, 6f, 8f, 10f, 12f }).AsCollection);
        Assert.That(() => x.Reshape(4, 2), Throws.ArgumentException.With.Message.Contains("[2, 3]"));
    }
}
