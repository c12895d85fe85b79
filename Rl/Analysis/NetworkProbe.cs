using MoeScratch.Nn;
using MoeScratch.Nn.Networks;
using MoeScratch.Tensors;

namespace MoeScratch.Rl.Analysis;

/// <summary>
/// The loss of one sample for the eNTK probe: <paramref name="output"/> is the network's output for observation
/// <paramref name="sample"/> alone (batch of 1); return that sample's scalar loss (e.g. the C51 cross-entropy against
/// its projected target, P1 Fig. 10), built with grad enabled.
/// </summary>
public delegate Tensor PerSampleLoss(QNetworkOutput output, int sample);

/// <summary>Settings of <see cref="NetworkProbe"/>.</summary>
/// <param name="DormantThreshold">τ for both dormant-neuron fractions (dopamine default 0; P1's Fig. 10 τ is unstated).</param>
/// <param name="SrankDelta">δ of Kumar et al.'s srank (0.01).</param>
/// <param name="Thresholds">Relative thresholds t for the feature/eNTK ranks and low-variance counts (default 0, 0.001, 0.01).</param>
/// <param name="EvalMode">
/// Run in evaluation mode (no noisy-layer noise). Default true: a train-mode forward would draw from the noisy layers'
/// noise streams and so change the training run. Dopamine instead evaluates with noise under a fixed key.
/// </param>
/// <param name="Prefix">Tag prefix ("analysis/").</param>
public sealed record ProbeOptions(double DormantThreshold = 0, double SrankDelta = 0.01, IReadOnlyList<double>? Thresholds = null,
                                  bool EvalMode = true, string Prefix = "analysis/");

/// <summary>Named scalars of one probe, in a stable order, ready for a metrics writer.</summary>
public sealed record ProbeReport(IReadOnlyDictionary<string, double> Scalars)
{
    /// <summary>The scalar logged under <paramref name="tag"/>.</summary>
    /// <exception cref="KeyNotFoundException">No such tag (e.g. an MoE tag on a dense network).</exception>
    public double this[string tag] => Scalars.TryGetValue(tag, out var v) ? v
        : throw new KeyNotFoundException($"ProbeReport: no scalar '{tag}'; available: {string.Join(", ", Scalars.Keys)}.");
}

/// <summary>
/// Computes every analysis metric of P1 Fig. 10 for a Q-network on one batch: dormant fractions (ReDo and the MoE
/// code's variant), Kumar srank and relative ranks of the features, dopamine's low-variance count and feature_norm,
/// the plain mean feature norm, Q statistics, Σθ², router statistics and, given a per-sample loss, the eNTK summary.
/// </summary>
/// <remarks>
/// It leaves training undisturbed: the batch forward runs under NoGrad; the eNTK pass saves every parameter's
/// gradient and restores it afterwards (a gradient that did not exist is removed again, so an optimizer that skips
/// gradient-less parameters sees the same set as before); every module's train/eval flag is restored, even when a
/// step throws.
/// </remarks>
public static class NetworkProbe
{
    /// <summary>Runs every probe on <paramref name="observations"/> [B, H, W, C] (floats, already scaled).</summary>
    /// <exception cref="ArgumentException">The batch is empty.</exception>
    public static ProbeReport Run(QNetwork network, Tensor observations, PerSampleLoss? loss = null, ProbeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(observations);
        if (observations.Rank < 1 || observations.Shape[0] == 0)
        {
            throw new ArgumentException($"NetworkProbe.Run: observations {observations.Shape} need a non-empty batch axis.");
        }
        var o = options ?? new ProbeOptions();
        var thresholds = o.Thresholds ?? FeatureStatistics.DopamineThresholds;
        var scalars = new SortedDictionary<string, double>(StringComparer.Ordinal);
        void Put(string name, double value) => scalars[o.Prefix + name] = value;

        var modes = SaveModes(network);
        try
        {
            if (o.EvalMode) network.Eval();
            BatchProbes(network, observations, o, thresholds, Put);
            Put("param_norm", ParameterStatistics.SquaredNorm(network.Parameters()));
            if (loss is not null) NtkProbes(network, observations, loss, thresholds, Put);
        }
        finally
        {
            RestoreModes(modes);
        }
        return new ProbeReport(scalars);
    }

    private static void BatchProbes(QNetwork network, Tensor observations, ProbeOptions o, IReadOnlyList<double> thresholds,
                                    Action<string, double> put)
    {
        int batch = observations.Shape[0];
        using var scope = TensorScope.Begin();
        using var noGrad = Tensor.NoGrad();
        var output = network.Forward(observations);
        double tau = o.DormantThreshold;

        // ReDo on the penultimate layer: dense hidden units, else every (expert, unit) neuron, else the features.
        var expertHidden = output.Moe?.ExpertHidden;
        put("dormant_fraction", output.Hidden is { } h ? DormantNeurons.RedoFraction(h, tau)
                              : expertHidden is not null ? DormantNeurons.RedoExpertFraction(expertHidden, tau)
                              : DormantNeurons.RedoFraction(output.Features, tau));
        put("dormant_fraction_moe_code", expertHidden is not null
            ? DormantNeurons.MoeCodeExpertFraction(expertHidden, batch, tau)
            : DormantNeurons.MoeCodeFraction(output.Hidden ?? output.Features, tau));
        put("encoder_dormant_fraction", DormantNeurons.RedoFraction(output.Encoded, tau));

        var sigma = FeatureStatistics.FeatureSingularValues(output.Features);
        var variances = FeatureStatistics.FeatureVariances(output.Features);
        put("srank", FeatureStatistics.Srank(sigma, o.SrankDelta));
        foreach (double t in thresholds)
        {
            put($"feature_rank_{EmpiricalNtk.Tag(t)}", FeatureStatistics.RelativeRank(sigma, t));
            put($"feature_low_variance_{EmpiricalNtk.Tag(t)}", FeatureStatistics.LowVarianceFeatureCount(variances, t));
        }
        put("feature_variance_norm", FeatureStatistics.VarianceNorm(variances));
        put("feature_mean_l2_norm", FeatureStatistics.MeanRowL2Norm(output.Features));

        var q = output.Q.ToArray();
        double qMean = q.Average(v => (double)v);
        put("q_mean", qMean);
        put("q_std", Math.Sqrt(q.Average(v => (v - qMean) * (v - qMean))));

        if (output.Moe is { } moe)
        {
            var mass = ParameterStatistics.ExpertMass(moe.RouterProbabilities);
            var counts = ParameterStatistics.TopExpertCounts(moe.TopExperts, mass.Length);
            for (int e = 0; e < mass.Length; e++)
            {
                put($"expert_mass_{e}", mass[e]);
                put($"expert_selected_{e}", counts[e] / batch);
            }
        }
    }

    private static void NtkProbes(QNetwork network, Tensor observations, PerSampleLoss loss, IReadOnlyList<double> thresholds,
                                  Action<string, double> put)
    {
        var parameters = network.Parameters().ToList();
        var saved = parameters.Select(p => p.Grad?.ToArray()).ToList();
        float[][] jacobian;
        try
        {
            jacobian = EmpiricalNtk.Jacobian(parameters, observations.Shape[0],
                b => loss(network.Forward(Ops.Slice(observations, 0, b, 1)), b));
        }
        finally
        {
            for (int i = 0; i < parameters.Count; i++)
            {
                if (parameters[i].Grad is not { } g) continue;
                if (saved[i] is { } values)
                {
                    g.Backend.Upload(g.Storage, values);
                }
                else
                {
                    parameters[i].Grad = null;
                    g.Dispose();
                }
            }
        }
        var stats = EmpiricalNtk.Statistics(EmpiricalNtk.Gram(jacobian), thresholds);
        foreach (var (t, rank) in stats.RelativeRanks) put($"entk_rank_{EmpiricalNtk.Tag(t)}", rank);
        put("entk_diag_mean", stats.DiagonalMean);
        put("entk_diag_std", stats.DiagonalStd);
        put("entk_offdiag_mean", stats.OffDiagonalMean);
        put("entk_positive_frac", stats.PositiveFraction);
        put("entk_negative_frac", stats.NegativeFraction);
    }

    private static List<(Module Module, bool Training)> SaveModes(Module root)
    {
        // Pre-order, so restoring parents first and children after reproduces mixed modes exactly (Train recurses).
        var list = new List<(Module, bool)>();
        void Walk(Module m)
        {
            list.Add((m, m.Training));
            foreach (var (_, child) in m.NamedChildren()) Walk(child);
        }
        Walk(root);
        return list;
    }

    private static void RestoreModes(List<(Module Module, bool Training)> modes)
    {
        foreach (var (m, training) in modes) m.Train(training);
    }
}
