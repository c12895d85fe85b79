// Autodiff, top to bottom: make tensors, compute with them, call Backward, read gradients, switch recording off
// with NoGrad, recycle a training step's tensors with TensorScope; then fit a tiny MLP to sin(x) with Adam and
// check a gradient against central finite differences before fitting.
// Run: dotnet run -c Release --project samples/Autodiff
using MoeScratch.Nn.Layers;
using MoeScratch.Nn.Optim;
using MoeScratch.Tensors;

// <create>
// float32 tensors, row-major, on the CPU backend unless another IBackend is passed.
var a = Tensor.FromArray([1f, 2f, 3f, 4f, 5f, 6f], new Shape(2, 3));
var w = Tensor.FromArray([0.5f, -1f, 2f], new Shape(3, 1));
w.RequiresGrad = true; // a leaf whose gradient Backward should fill
// </create>

// <compute>
var y = Ops.MatMul(a, w);                // [2, 1]; the op records its backward rule as it runs
var loss = Ops.Mean(Ops.Square(y - 1f)); // operators (+ − · /) and scalars record too
Console.WriteLine($"y = [{string.Join(", ", y.ToArray())}], loss = {loss.Item()}");
// </compute>

// <backward>
loss.Backward(); // adds dloss/dw into w.Grad, then frees the graph
Console.WriteLine($"dloss/dw = [{string.Join(", ", w.Grad!.ToArray())}]"); // = 2/2 · aᵀ(y − 1)
// </backward>

// <nograd>
using (Tensor.NoGrad())
{
    var probe = Ops.MatMul(a, w); // computed, nothing recorded: no graph, no RequiresGrad
    Console.WriteLine($"under NoGrad: probe.RequiresGrad = {probe.RequiresGrad}");
}
// </nograd>

// <mlp>
var rng = new Rng(seed: 0);
var fc1 = new Linear(1, 32, rng); // registers "weight" [1, 32] and "bias" [32], xavier-uniform init
var fc2 = new Linear(32, 1, rng);
var adam = new Adam(fc1.NamedParameters("fc1.").Concat(fc2.NamedParameters("fc2.")), learningRate: 1e-2f);
Tensor Net(Tensor x) => fc2.Forward(Ops.Tanh(fc1.Forward(x)));

float[] xs = Enumerable.Range(0, 64).Select(i => -3f + 6f * i / 63).ToArray();
var inputs = Tensor.FromArray(xs, new Shape(64, 1));
var targets = Tensor.FromArray(xs.Select(MathF.Sin).ToArray(), new Shape(64, 1));
// </mlp>

// <gradcheck>
// Before training, check Backward against central differences on one weight: (L(θ+h) − L(θ−h)) / 2h.
const int Index = 5;
const float H = 1e-3f;
Ops.MseLoss(Net(inputs), targets).Backward();
float analytic = fc1.Weight.Grad!.Span[Index];
float LossAt(float delta)
{
    fc1.Weight.Span[Index] += delta;
    using var noGrad = Tensor.NoGrad();
    float l = Ops.MseLoss(Net(inputs), targets).Item();
    fc1.Weight.Span[Index] -= delta;
    return l;
}
float numeric = (LossAt(H) - LossAt(-H)) / (2 * H);
Console.WriteLine($"fc1.weight[{Index}]: backward {analytic:E3}, finite differences {numeric:E3}");
// </gradcheck>

// <train>
float first = 0, last = 0;
for (int step = 0; step <= 600; step++)
{
    using var scope = TensorScope.Begin(); // this step's tensors return to the buffer pool when it ends
    adam.ZeroGrad();
    var mse = Ops.MseLoss(Net(inputs), targets);
    mse.Backward();
    adam.Step();
    last = mse.Item();
    if (step == 0) first = last;
    if (step % 150 == 0) Console.WriteLine($"step {step,3}: mse {last:F5}");
}
// </train>

bool gradientOk = MathF.Abs(analytic - numeric) <= 1e-2f * MathF.Abs(numeric) + 1e-5f;
bool fitted = last < 0.1f * first;
Console.WriteLine(gradientOk && fitted ? "OK" : $"FAILED (gradient ok: {gradientOk}, mse {first:F4} → {last:F4})");
return gradientOk && fitted ? 0 : 1;

