using System.Globalization;
using MoeScratch.Tensors;

namespace MoeScratch.Train.Training;

/// <summary>
/// The interim default command: fit y = 3x − 1 with autodiff and plain gradient descent, printing the loss. It
/// exercises tensors, broadcasting ops and Backward() while the training runner is not yet in main.
/// </summary>
internal static class RegressionDemo
{
    public static void Run(TextWriter output)
    {
        var rng = new Rng(0);
        var x = Tensor.Uniform(new Shape(256, 1), -1f, 1f, rng);
        var y = Ops.AddScalar(Ops.Scale(x, 3f), -1f);
        var w = Tensor.Zeros(new Shape(1));
        var b = Tensor.Zeros(new Shape(1));
        w.RequiresGrad = b.RequiresGrad = true;
        const float lr = 0.5f;
        for (int step = 0; step <= 200; step++)
        {
            using var scope = TensorScope.Begin();
            var pred = Ops.Add(Ops.Mul(x, w), b);
            var loss = Ops.Mean(Ops.Square(Ops.Sub(pred, y)));
            w.Grad?.Backend.Fill(w.Grad, 0f);
            b.Grad?.Backend.Fill(b.Grad, 0f);
            loss.Backward();
            using (Tensor.NoGrad())
            {
                w.Span[0] -= lr * w.Grad!.Span[0];
                b.Span[0] -= lr * b.Grad!.Span[0];
            }
            if (step % 50 == 0)
            {
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"step={step} loss={loss.Item():G4} w={w.Span[0]:F4} b={b.Span[0]:F4}"));
            }
        }
    }
}
