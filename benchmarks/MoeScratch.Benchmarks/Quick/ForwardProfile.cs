using System.Diagnostics;
using System.Globalization;
using MoeScratch.Nn.Encoders;
using MoeScratch.Tensors;

namespace MoeScratch.Benchmarks.Quick;

/// <summary>
/// <c>profile forward</c>: min and median time of each stage of the <c>dqn-forward-b32</c> workload (bytes → float,
/// each conv with its fused ReLU, torso, head) under NoGrad, to see what costs beside the GEMMs.
/// </summary>
public static class ForwardProfile
{
    /// <summary>Prints one line per stage.</summary>
    public static void Run(int iters)
    {
        var size = WorkloadSize.Anchor;
        var net = AnchorNetworks.Create(AnchorModel.NatureDqn, false, new Rng(1234));
        var enc = (NatureCnn)net.Encoder;
        byte[] states = new AnchorReplayBatch(size, 11).States[..(32 * size.FrameBytes)];
        string[] names = ["from-bytes", "conv1+relu", "conv2+relu", "conv3+relu", "torso", "head", "total"];
        var times = names.Select(_ => new List<double>()).ToArray();
        for (int it = 0; it < iters + 10; it++)
        {
            using var scope = TensorScope.Begin();
            using var noGrad = Tensor.NoGrad();
            var t = new double[names.Length];
            long t0 = Stopwatch.GetTimestamp(), start = t0;
            double Lap()
            {
                long now = Stopwatch.GetTimestamp();
                double ms = Stopwatch.GetElapsedTime(t0, now).TotalMilliseconds;
                t0 = now;
                return ms;
            }
            var x = Tensor.FromBytes(states, size.Frames(32)); t[0] = Lap();
            x = enc.Conv1.ForwardRelu(x); t[1] = Lap(); // the fused Conv2dRelu, as in NatureCnn.Forward
            x = enc.Conv2.ForwardRelu(x); t[2] = Lap();
            x = enc.Conv3.ForwardRelu(x); t[3] = Lap();
            var f = net.Torso.Forward(x).Features; t[4] = Lap();
            _ = net.Head.Forward(f); t[5] = Lap();
            t[6] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            if (it < 10) continue;
            for (int i = 0; i < names.Length; i++) times[i].Add(t[i]);
        }
        var ic = CultureInfo.InvariantCulture;
        for (int i = 0; i < names.Length; i++)
        {
            var s = times[i].Order().ToArray();
            Console.WriteLine(string.Format(ic, "  {0,-12} min_ms={1,8:0.000} median_ms={2,8:0.000}", names[i], s[0],
                                            s[s.Length / 2]));
        }
    }
}
