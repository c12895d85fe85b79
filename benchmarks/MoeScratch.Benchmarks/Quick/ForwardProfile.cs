using System.Diagnostics;
using System.Globalization;
using MoeScratch.Nn.Encoders;
using MoeScratch.Nn.Moe;
using MoeScratch.Tensors;

namespace MoeScratch.Benchmarks.Quick;

/// <summary>
/// <c>profile forward</c> / <c>forward-softmoe</c>: min and median time of each stage of the <c>dqn-forward-b32</c>
/// workload (<c>--batch 1</c>: of acting), or of the Soft MoE DQN's forward (bytes → float, each conv with its fused
/// ReLU, torso, head) under NoGrad, to see what costs beside the GEMMs.
/// </summary>
public static class ForwardProfile
{
    /// <summary>Prints one line per stage.</summary>
    public static void Run(int iters, AnchorModel model = AnchorModel.NatureDqn, int batch = 32)
    {
        var size = WorkloadSize.Anchor;
        var net = AnchorNetworks.Create(model, false, new Rng(1234));
        var enc = (NatureCnn)net.Encoder;
        byte[] states = new AnchorReplayBatch(size, 11).States[..(batch * size.FrameBytes)];
        StageTimer.Run(["from-bytes", "conv1+relu", "conv2+relu", "conv3+relu", "torso", "head"], iters, lap =>
        {
            var x = Tensor.FromBytes(states, size.Frames(batch)); lap();
            x = enc.Conv1.ForwardRelu(x); lap(); // the fused Conv2dRelu, as in NatureCnn.Forward
            x = enc.Conv2.ForwardRelu(x); lap();
            x = enc.Conv3.ForwardRelu(x); lap();
            var f = net.Torso.Forward(x).Features; lap();
            _ = net.Head.Forward(f); lap();
        });
    }
}

/// <summary>
/// <c>profile forward-impala</c>: the IMPALA DQN's forward at batch 32 under NoGrad, layer by layer (each stack's conv,
/// max-pool and residual blocks, the final ReLU, the dense torso and the head).
/// </summary>
public static class ImpalaForwardProfile
{
    /// <summary>Prints min and median per layer.</summary>
    public static void Run(int iters)
    {
        var size = WorkloadSize.Anchor;
        var net = AnchorNetworks.Create(AnchorModel.ImpalaDqn, false, new Rng(1234));
        var enc = (AnchorImpalaEncoder)net.Encoder;
        byte[] states = new AnchorReplayBatch(size, 11).States[..(32 * size.FrameBytes)];
        string[] names = [.. new[] { "from-bytes" }, .. net.Encoder.NamedChildren().Select(c => c.Key), "relu", "torso", "head"];
        StageTimer.Run(names, iters, lap =>
        {
            var x = Tensor.FromBytes(states, size.Frames(32)); lap();
            foreach (var layer in enc.Layers)
            {
                x = layer.Forward(x); lap();
            }
            x = Ops.Relu(x); lap();
            var f = net.Torso.Forward(x).Features; lap();
            _ = net.Head.Forward(f); lap();
        });
    }
}

/// <summary>
/// <c>profile moe</c>: the stages of the anchor Soft MoE layer's forward (B = 32, 49 PerConv tokens of 64, 8 experts of
/// hidden 512, 1 slot each) under NoGrad: routing (normalize tokens and Φ, logits, the two softmaxes), dispatch, the
/// expert MLPs, combine.
/// </summary>
public static class MoeProfile
{
    /// <summary>Prints min and median per stage.</summary>
    public static void Run(int iters)
    {
        var moe = new SoftMoe(64, 49, new SoftMoeOptions(8, 512, SlotsPerExpert: 1, Normalize: true), new Rng(3));
        var rng = new Random(5);
        var tokens = Tensor.FromArray([.. Enumerable.Range(0, 32 * 49 * 64).Select(_ => (float)rng.NextDouble())],
                                      new Shape(32, 49, 64));
        string[] names = ["normalize-x", "normalize-phi", "logits", "softmax-tokens", "softmax-slots", "dispatch",
                          "to-experts", "experts", "from-experts", "combine"];
        StageTimer.Run(names, iters, lap =>
        {
            // SoftMoe.Route and Forward, stage by stage (softmoe.py normalization, Φ shared across the batch).
            var xn = Ops.L2NormalizeClamped(tokens, 2, 1e-30f, 1e-6f); lap();
            var phi = Ops.Mul(Ops.L2NormalizeClamped(moe.Phi, 0, 1e-30f, 1e-6f), moe.Scale); lap();
            var logits = Ops.MatMul(xn, phi); lap();
            var dispatch = Ops.Softmax(logits, 1); lap();
            var combine = Ops.Softmax(logits, 2); lap();
            var slots = Ops.MatMul(dispatch, tokens, transA: true); lap();
            var ex = Ops.Permute(slots.Reshape(32, 8, 1, 64), 1, 0, 2, 3).Reshape(8, 32, 64); lap();
            var (y, _) = moe.Experts.Forward(ex); lap();
            var back = Ops.Permute(y.Reshape(8, 32, 1, 64), 1, 0, 2, 3).Reshape(32, 8, 64); lap();
            _ = Ops.MatMul(combine, back); lap();
        });
    }
}

/// <summary>
/// <c>profile minatar-moe [--experts n] [--batch b]</c>: the MinAtar Soft MoE DQN's forward (the minatar-dqn preset's
/// Soft MoE network on Breakout frames, default 4 experts at batch 32) under NoGrad, stage by stage, the expert MLP
/// layer by layer, then both layers again as the fused <see cref="Ops.Mlp"/> that target and acting forwards use.
/// </summary>
public static class MinAtarMoeProfile
{
    /// <summary>Prints min and median per stage.</summary>
    public static void Run(int iters, int experts, int batch)
    {
        var net = MinAtarNetworks.Create(experts, new Rng(1234));
        var enc = (MinAtarEncoder)net.Encoder;
        var moe = (SoftMoe)((Nn.Networks.MoeTorso)net.Torso).Moe;
        var ex = moe.Experts;
        int n = moe.NumExperts, p = moe.SlotsPerExpert, m = moe.Tokens, d = moe.TokenDim;
        var size = WorkloadSize.MinAtar;
        byte[] states = new AnchorReplayBatch(size, 21, binary: true).States[..(batch * size.FrameBytes)];
        string[] names = ["from-bytes", "conv+relu", "logits", "softmax-tokens", "softmax-slots", "(softmax both)", "dispatch", "to-experts",
                          "fc1+bias+relu", "fc2+bias", "(fused mlp)", "from-experts", "combine", "head"];
        StageTimer.Run(names, iters, lap =>
        {
            var x = Tensor.FromBytes(states, size.Frames(batch), 1f); lap();
            var tokens = enc.Conv.ForwardRelu(x).Reshape(batch, m, d); lap();
            var logits = Ops.MatMul(tokens, moe.Phi); lap();
            var dispatch = Ops.Softmax(logits, 1); lap();
            var combine = Ops.Softmax(logits, 2); lap();
            // Both softmaxes as one op (SoftMoe.Route), for comparison only: the total counts it too.
            _ = Ops.SoftmaxBothAxes(logits); lap();
            var slots = Ops.MatMul(dispatch, tokens, transA: true); lap();
            var xs = Ops.Permute(slots.Reshape(batch, n, p, d), 1, 0, 2, 3).Reshape(n, batch * p, d); lap();
            var hid = Ops.MatMulBias(xs, ex["fc1.weight"], ex["fc1.bias"], relu: true); lap(); // as ExpertMlp.Forward
            var y = Ops.MatMulBias(hid, ex["fc2.weight"], ex["fc2.bias"]); lap();
            // The same two layers as one fused op (ExpertMlp.ForwardDeferred without a graph), for comparison only:
            // the total counts it too.
            _ = Ops.Mlp(xs, ex["fc1.weight"], ex["fc1.bias"], ex["fc2.weight"], ex["fc2.bias"]); lap();
            var back = Ops.Permute(y.Reshape(n, batch, p, d), 1, 0, 2, 3).Reshape(batch, n * p, d); lap();
            var outTokens = Ops.MatMul(combine, back); lap();
            _ = net.Head.Forward(outTokens.Flatten(1)); lap();
        });
    }
}

/// <summary>Times the stages of a NoGrad forward, iteration by iteration, and prints min and median per stage.</summary>
internal static class StageTimer
{
    /// <summary>
    /// Runs <paramref name="iteration"/> (which calls lap() after each stage) for 1 s of warm-up, so that the JIT has
    /// moved the hot methods to optimized code, then <paramref name="iters"/> timed times; prints the stages and total.
    /// </summary>
    public static void Run(string[] names, int iters, Action<Action> iteration)
    {
        double[] Once()
        {
            using var scope = TensorScope.Begin();
            using var noGrad = Tensor.NoGrad();
            var t = new double[names.Length + 1];
            int stage = 0;
            long t0 = Stopwatch.GetTimestamp(), start = t0;
            iteration(() =>
            {
                long now = Stopwatch.GetTimestamp();
                t[stage++] = Stopwatch.GetElapsedTime(t0, now).TotalMilliseconds;
                t0 = now;
            });
            t[^1] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            return t;
        }

        var warm = Stopwatch.StartNew();
        while (warm.Elapsed.TotalSeconds < 1) Once();
        var samples = Enumerable.Range(0, iters).Select(_ => Once()).ToArray();
        var ic = CultureInfo.InvariantCulture;
        string[] all = [.. names, "total"];
        for (int i = 0; i < all.Length; i++)
        {
            var s = samples.Select(t => t[i]).Order().ToArray();
            Console.WriteLine(string.Format(ic, "  {0,-14} min_ms={1,8:0.000} median_ms={2,8:0.000}", all[i], s[0],
                                            s[s.Length / 2]));
        }
    }
}
