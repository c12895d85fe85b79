#:project ../Rl/Rl.csproj
#:property TreatWarningsAsErrors=false
#:property NoWarn=$(NoWarn);CA1303;CA1515;CA1812;CA2007;CA1305;CA1307;CA1310

// Why does Soft MoE-4 (PerConv) learn more slowly per step than the dense baseline on MinAtar? (issue 19, item 4;
// evidence recorded in experiments/minatar-moe/README.md). Trains each variant with the minatar-dqn preset and,
// between iterations, measures on a fixed probe set of 256 observations (collected by a uniform random policy):
//   - the learning curve (mean return of the iteration's training episodes);
//   - routing sharpness: mean normalized entropy of the dispatch (over tokens) and combine (over slots) weights,
//     1 = uniform (every slot the mean token, every output token the mean slot output);
//   - spatial information through the torso: the spread of tokens around their per-observation mean, relative to
//     their norm, at the MoE's input and output (0 = every position carries the same vector);
//   - the scale of the head's input (‖features‖) and of Q;
//   - gradient norms of mean(Q) per parameter group (encoder, torso, head), the flow into the encoder.
//
//   dotnet run -c Release scripts/softmoe-diagnosis.cs -- [game] [iterations] [steps-per-iteration] [seed] [variants...]
//   variants: baseline, softmoe4, softmoe4-norm (Soft MoE's optional L2 normalization, P1 §5.3), softmoe4-lr4
//   (4× the learning rate on Φ's routing only is not a knob here; this is 4× the whole lr, a control), softmoe4-eps
//   (Adam ε 1e-8), softmoe4-perfeat (P2's PerFeat tokens: the 16 feature maps of 100 cells, never all zero)
using System.Globalization;
using MoeScratch.Nn.Moe;
using MoeScratch.Nn.Networks;
using MoeScratch.Nn.Tokenizers;
using MoeScratch.Rl.Agents;
using MoeScratch.Rl.Envs.MinAtar;
using MoeScratch.Rl.Running;
using MoeScratch.Tensors;
using MoeScratch.Tensors.Cpu;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
string game = args.Length > 0 ? args[0] : "breakout";
int iterations = args.Length > 1 ? int.Parse(args[1]) : 6;
long steps = args.Length > 2 ? long.Parse(args[2]) : 5_000;
ulong seed = args.Length > 3 ? ulong.Parse(args[3]) : 0;
string[] variants = args.Length > 4 ? args[4..] : ["baseline", "softmoe4"];
if (Environment.GetEnvironmentVariable("THREADS") is string t) CpuThreads.Max = int.Parse(t);

// The probe set: 256 observations of a random policy (the same for every variant).
const int probeCount = 256;
byte[] probe;
int[] shape;
using (var env = MinAtarGames.Create(game, 12345))
{
    shape = [.. env.ObservationShape];
    int frame = shape[0] * shape[1] * shape[2];
    probe = new byte[probeCount * frame];
    var rng = new Rng(7);
    env.Reset();
    for (int i = 0; i < probeCount; i++)
    {
        for (int k = 0; k < 3; k++)
        {
            if (env.Step((int)(rng.NextUInt64() % (ulong)env.ActionCount)).Done) env.Reset();
        }
        env.Observation.CopyTo(probe.AsSpan(i * frame, frame));
    }
}

Console.WriteLine("variant,steps,train_return,dispatch_entropy,combine_entropy,token_spread_in,token_spread_out,feature_norm,q_mean,q_std,grad_encoder,grad_torso,grad_head,phi_std,adam_rms_over_eps_phi,adam_rms_over_eps_experts,adam_rms_over_eps_encoder,adam_rms_over_eps_head,zero_token_frac,token_norm,logit_std");
foreach (string variant in variants)
{
    NetworkConfig net = variant switch
    {
        "baseline" => NetworkConfig.Baseline(),
        "softmoe4" or "softmoe4-lr4" => NetworkConfig.SoftMoe(4),
        "softmoe4-norm" => NetworkConfig.SoftMoe(4) with { SoftMoeNormalize = true },
        "softmoe4-eps" => NetworkConfig.SoftMoe(4),
        "softmoe4-perfeat" => NetworkConfig.SoftMoe(4) with { Tokenization = Tokenization.PerFeat },
        "baseline-eps" => NetworkConfig.Baseline(),
        _ => throw new ArgumentException($"unknown variant '{variant}'; allowed: baseline, baseline-eps, softmoe4, softmoe4-norm, softmoe4-lr4, softmoe4-eps, softmoe4-perfeat"),
    };
    net = net with { Encoder = EncoderKind.MinAtar };
    var preset = AgentConfig.MinAtarDqn;
    var config = preset with
    {
        Network = net,
        EpsilonDecayPeriod = (int)Math.Max(1, Math.Min(250_000, iterations * steps / 5)), // the trainer's rule for short budgets
        ReplayCapacity = (int)Math.Min(preset.ReplayCapacity, Math.Max(1_000, iterations * steps)),
        LearningRate = variant == "softmoe4-lr4" ? 4 * preset.LearningRate : preset.LearningRate,
        AdamEpsilon = variant.EndsWith("-eps", StringComparison.Ordinal) ? 1e-8f : preset.AdamEpsilon,
    };
    using var env = MinAtarGames.Create(game, Rng.ForStream(seed, 0).NextUInt64());
    using var agent = new DqnAgent(config, [.. env.ObservationShape], env.ActionCount, env.ObservationScale, Rng.ForStream(seed, 1).NextUInt64());
    var runner = new Runner(env, agent, RunnerConfig.MinAtar() with { Iterations = Math.Max(1, iterations), TrainingStepsPerIteration = steps, Seed = seed });
    Report(variant, agent, 0, double.NaN);
    for (int it = 0; it < iterations; it++)
    {
        var stats = runner.RunIteration() ?? throw new InvalidOperationException("the runner stopped early");
        Report(variant, agent, stats.TotalSteps, stats.Training.MeanReturn);
    }
}

void Report(string variant, DqnAgent agent, long step, double trainReturn)
{
    QNetwork online = agent.Online;
    var obs = Tensor.FromBytes(probe, new Shape(probeCount, shape[0], shape[1], shape[2]), 1f);
    double dispatchH = double.NaN, combineH = double.NaN, spreadIn = double.NaN, spreadOut = double.NaN;
    double zeroFrac = double.NaN, tokenNorm = double.NaN, logitStd = double.NaN;
    double featureNorm, qMean, qStd;
    using (Tensor.NoGrad())
    {
        var o = online.Forward(obs);
        featureNorm = RowNorms(o.Features.ToArray(), o.Features.Shape[1]).Average();
        float[] q = o.Q.ToArray();
        qMean = q.Average();
        qStd = Math.Sqrt(q.Select(v => (v - qMean) * (v - qMean)).Average());
        if (online.Torso is MoeTorso torso && torso.Moe is SoftMoe moe)
        {
            var tokens = torso.Tokenizer.Forward(o.Encoded);
            var (d, c) = moe.Route(tokens);
            int m = tokens.Shape[1], dim = tokens.Shape[2], s = moe.TotalSlots;
            dispatchH = MeanEntropy(d.ToArray(), probeCount, m, s, overTokens: true);
            combineH = MeanEntropy(c.ToArray(), probeCount, m, s, overTokens: false);
            spreadIn = Spread(tokens.ToArray(), probeCount, m, dim);
            spreadOut = Spread(o.Moe!.Values.ToArray(), probeCount, m, dim);
            // Empty MinAtar cells give all-zero tokens (ReLU of a zero-bias conv on zero inputs): logit 0 for every slot.
            double[] norms = RowNorms(tokens.ToArray(), dim);
            zeroFrac = norms.Count(v => v == 0) / (double)norms.Length;
            tokenNorm = norms.Where(v => v > 0).DefaultIfEmpty(0).Average();
            float[] logits = Ops.MatMul(tokens, moe.Phi).ToArray();
            double lm = logits.Average(v => (double)v);
            logitStd = Math.Sqrt(logits.Average(v => (v - lm) * (v - lm)));
        }
    }
    online.ZeroGrad();
    var outGrad = online.Forward(obs);
    Ops.Mean(outGrad.Q).Backward();
    double Group(string prefix) => Math.Sqrt(online.NamedParameters()
        .Where(p => p.Key.StartsWith(prefix, StringComparison.Ordinal) && p.Value.Grad is not null)
        .Sum(p => p.Value.Grad!.ToArray().Sum(g => (double)g * g)));
    double ge = Group("encoder"), gt = Group("torso"), gh = Group("head");
    online.ZeroGrad();
    // Adam's bias-corrected √v̂ (the RMS of the recent TD-loss gradients) per entry, averaged over a group and divided
    // by Adam's ε: below 1, ε dominates the denominator and the step shrinks to lr·ĝ/ε instead of ≈ lr.
    var adam = agent.Optimizer.StateDict();
    double c2 = 1 - Math.Pow(agent.Optimizer.Beta2, Math.Max(1, agent.GradientUpdates));
    double RmsOverEps(Func<string, bool> select)
    {
        var vs = adam.Where(kv => kv.Key.StartsWith("adam.v.", StringComparison.Ordinal) && select(kv.Key[7..]))
                     .SelectMany(kv => kv.Value.ToArray()).ToArray();
        return vs.Length == 0 ? double.NaN : vs.Average(v => Math.Sqrt(v / c2)) / agent.Optimizer.Eps;
    }
    double phiStd = online.NamedParameters().Where(p => p.Key.EndsWith("moe.phi", StringComparison.Ordinal))
        .Select(p => Math.Sqrt(p.Value.ToArray().Average(v => (double)v * v))).DefaultIfEmpty(double.NaN).First();
    double rPhi = RmsOverEps(k => k.EndsWith("moe.phi", StringComparison.Ordinal));
    double rExp = RmsOverEps(k => k.Contains(".experts.", StringComparison.Ordinal));
    double rEnc = RmsOverEps(k => k.StartsWith("encoder", StringComparison.Ordinal));
    double rHead = RmsOverEps(k => k.StartsWith("head", StringComparison.Ordinal));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{variant},{step},{trainReturn:F3},{dispatchH:F4},{combineH:F4},{spreadIn:F4},{spreadOut:F4},{featureNorm:F4},{qMean:F4},{qStd:F4},{ge:E3},{gt:E3},{gh:E3},{phiStd:F4},{rPhi:G3},{rExp:G3},{rEnc:G3},{rHead:G3},{zeroFrac:F3},{tokenNorm:F4},{logitStd:F4}"));
}

static double[] RowNorms(float[] x, int cols) =>
    Enumerable.Range(0, x.Length / cols).Select(r => Math.Sqrt(x.AsSpan(r * cols, cols).ToArray().Sum(v => (double)v * v))).ToArray();

// Mean normalized entropy of a [B, m, s] weight tensor: over tokens (axis 1) per slot, or over slots (axis 2) per token.
static double MeanEntropy(float[] w, int b, int m, int s, bool overTokens)
{
    double total = 0;
    int count = 0, len = overTokens ? m : s;
    for (int i = 0; i < b; i++)
    {
        for (int j = 0; j < (overTokens ? s : m); j++)
        {
            double h = 0;
            for (int k = 0; k < len; k++)
            {
                double p = overTokens ? w[(i * m + k) * s + j] : w[(i * m + j) * s + k];
                if (p > 0) h -= p * Math.Log(p);
            }
            total += h / Math.Log(len);
            count++;
        }
    }
    return total / count;
}

// Per observation: sqrt(mean_i ‖x_i − x̄‖²) / sqrt(mean_i ‖x_i‖²) over its m tokens, averaged over observations.
static double Spread(float[] x, int b, int m, int d)
{
    double total = 0;
    for (int i = 0; i < b; i++)
    {
        var mean = new double[d];
        for (int t = 0; t < m; t++) for (int k = 0; k < d; k++) mean[k] += x[(i * m + t) * d + k] / m;
        double dev = 0, norm = 0;
        for (int t = 0; t < m; t++)
        {
            for (int k = 0; k < d; k++)
            {
                double v = x[(i * m + t) * d + k];
                dev += (v - mean[k]) * (v - mean[k]);
                norm += v * v;
            }
        }
        total += norm > 0 ? Math.Sqrt(dev / norm) : 0;
    }
    return total / b;
}
