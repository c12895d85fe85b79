using MoeScratch.Nn.Networks;
using MoeScratch.Rl.Replay;
using MoeScratch.Tensors;

namespace MoeScratch.Rl.Agents;

public sealed partial class DqnAgent
{
    private readonly BatchBuffers _batch;

    /// <summary>Replay indices of the latest update's batch (valid until the next update).</summary>
    public ReadOnlySpan<int> LastBatchIndices => _batch.Indices;

    /// <summary>
    /// Per-sample TD (or C51 cross-entropy) losses of the latest update, unweighted: what prioritized replay
    /// receives (priority √(loss + 1e-10), dopamine full_rainbow_agent.py).
    /// </summary>
    public ReadOnlySpan<float> LastSampleLosses => _batch.Losses;

    /// <summary>Host-side batch arrays, allocated once (the update is the hot path of every run).</summary>
    private sealed class BatchBuffers(int batch, int stateBytes, int actions, int atoms)
    {
        public readonly int[] Indices = new int[batch];
        public readonly float[] Probabilities = new float[batch];
        public readonly byte[] States = new byte[batch * stateBytes];
        public readonly byte[] NextStates = new byte[batch * stateBytes];
        public readonly int[] Actions = new int[batch];
        public readonly float[] Returns = new float[batch];
        public readonly float[] Discounts = new float[batch];
        public readonly int[] NextActions = new int[batch];
        public readonly float[] NextQ = new float[batch];
        public readonly float[] Targets = new float[batch];
        public readonly float[] Weights = new float[batch];
        public readonly float[] Losses = new float[batch];
        public readonly float[] NextProbabilities = new float[atoms > 1 ? batch * atoms : 0];
        public readonly float[] TargetDistribution = new float[atoms > 1 ? batch * atoms : 0];
        public readonly int ActionCount = actions;
    }

    /// <summary>
    /// One gradient update (dopamine dqn_agent.py): sample, build the (n-step, double, C51-projected) target with the
    /// target network under no-grad, take the TD / cross-entropy loss weighted by IS weights, add CQL and MoE
    /// auxiliary terms, step Adam, feed the per-sample losses back as priorities.
    /// </summary>
    private void TrainOnce()
    {
        var c = Config;
        var bb = _batch;
        Replay.SampleIndices(bb.Indices, bb.Probabilities);
        Replay.FillBatch(bb.Indices, bb.States, bb.Actions, bb.Returns, bb.Discounts, bb.NextStates);
        Online.Train(true);
        Target.Train(true);
        using var scope = TensorScope.Begin();
        var states = Observations(bb.States);
        var next = Observations(bb.NextStates);

        BuildTargets(next, bb);

        QNetworkOutput output = Online.Forward(states);
        Tensor perSample = SampleLosses(output, bb, 0, _batchVectorShape, _batchAtomShape, out Tensor chosenQ);
        Tensor? weights = null;
        if (c.Prioritized)
        {
            PrioritizedSampler.ImportanceWeights(bb.Probabilities, bb.Weights);
            weights = Tensor.FromArray(bb.Weights, _batchVectorShape);
        }
        Tensor? cql = c.CqlCoefficient > 0f ? DqnMath.CqlRegularizer(output.Q, chosenQ) : null;
        Tensor? aux = output.Moe?.AuxLoss;
        var loss = DqnMath.CombineLoss(perSample, weights, c.TdCoefficient, cql, c.CqlCoefficient, aux);

        Optimizer.ZeroGrad();
        loss.Backward();
        if (c.MaxGradNorm is { } maxNorm) Optimizer.ClipGradNorm(maxNorm);
        Optimizer.Step();
        _gradientUpdates++;

        perSample.Span.CopyTo(bb.Losses);
        if (c.Prioritized) Replay.UpdatePriorities(bb.Indices, bb.Losses);
        RecordStats(loss, bb, cql, aux, chosenQ);
        MaybeIntervene();
    }

    /// <summary>
    /// Target side of the update, under no-grad (Dopamine): a* from Q_target(s′) (Q_online(s′) for double
    /// DQN), then the C51-projected distribution into <c>bb.TargetDistribution</c> or y = R + d·Q_target(s′, a*)
    /// into <c>bb.Targets</c>. Shared by the update and the analysis probe, so the probe's loss is the agent's own.
    /// </summary>
    /// <param name="next">[B, H, W, S·C] next states s′.</param>
    /// <param name="bb">The batch: reads Returns and Discounts, writes NextActions and the targets.</param>
    private void BuildTargets(Tensor next, BatchBuffers bb)
    {
        int b = bb.Indices.Length, a = ActionCount, atoms = Config.Head.Atoms;
        bool doubleDqn = Config.DoubleDqn;
        using var noGrad = Tensor.NoGrad();
        var targetOut = Target.Forward(next);
        ReadOnlySpan<float> onlineNextQ = doubleDqn ? Online.Forward(next).Q.Span : default;
        DqnMath.BootstrapActions(targetOut.Q.Span, onlineNextQ, a, doubleDqn, bb.NextActions);
        if (atoms > 1)
        {
            ReadOnlySpan<float> p = targetOut.Probabilities!.Span;
            for (int i = 0; i < b; i++)
            {
                p.Slice(((i * a) + bb.NextActions[i]) * atoms, atoms).CopyTo(bb.NextProbabilities.AsSpan(i * atoms, atoms));
            }
            CategoricalProjection.Project(Support, bb.NextProbabilities, bb.Returns, bb.Discounts, bb.TargetDistribution);
        }
        else
        {
            DqnMath.GatherRows(targetOut.Q.Span, a, bb.NextActions, bb.NextQ);
            DqnMath.TdTargets(bb.Returns, bb.Discounts, bb.NextQ, bb.Targets);
        }
    }

    /// <summary>
    /// Per-sample loss [n] of <paramref name="output"/> (the online network's output for rows start … start + n − 1
    /// of <paramref name="bb"/>): the C51 cross-entropy against the projected target distribution, else the TD loss
    /// against y (dopamine dqn_agent.py). Unweighted: these are also the PER losses and the eNTK probe's ℓ_b.
    /// </summary>
    /// <param name="vectorShape">[n], cached by the caller (no allocation on the update path).</param>
    /// <param name="output">Online output.</param><param name="bb">Batch.</param><param name="start">First row.</param>
    /// <param name="atomShape">[n, atoms].</param>
    /// <param name="chosenQ">[n] Q(s, a) of the replayed actions, for CQL and the statistics.</param>
    private Tensor SampleLosses(QNetworkOutput output, BatchBuffers bb, int start, Shape vectorShape, Shape atomShape,
                                out Tensor chosenQ)
    {
        int n = vectorShape[0], atoms = Config.Head.Atoms;
        ReadOnlySpan<int> actions = bb.Actions.AsSpan(start, n);
        chosenQ = Ops.Gather(output.Q, 1, DqnMath.ActionIndex(actions)).Reshape(n);
        if (atoms == 1) return DqnMath.TdLoss(chosenQ, Tensor.FromArray(bb.Targets.AsSpan(start, n), vectorShape), Config.Loss);
        var chosenLogits = Ops.Gather(output.Logits!, 1, DqnMath.AtomIndex(actions, atoms)).Reshape(n, atoms);
        return DqnMath.C51Loss(chosenLogits, Tensor.FromArray(bb.TargetDistribution.AsSpan(start * atoms, n * atoms), atomShape));
    }

    /// <summary>Bytes → floats [B, H, W, S·C]; DrQ augmentation when configured (P1 Table 1).</summary>
    private Tensor Observations(byte[] bytes)
    {
        if (!Config.Augmentation) return Tensor.FromBytes(bytes, _batchShape, _scale);
        var t = Tensor.Empty(_batchShape);
        DrqAugmentation.Apply(bytes, Config.BatchSize, _height, _width, _channels * Config.StackSize, _scale, _augRng, t.Span);
        return t;
    }

    private void RecordStats(Tensor loss, BatchBuffers bb, Tensor? cql, Tensor? aux, Tensor chosenQ)
    {
        _lastLoss = loss.Item();
        double td = 0;
        for (int i = 0; i < bb.Losses.Length; i++) td += (Config.Prioritized ? bb.Weights[i] : 1f) * bb.Losses[i];
        _lastTd = (float)(Config.TdCoefficient * td / bb.Losses.Length);
        float auxValue = 0f;
        if (cql is not null)
        {
            double s = 0;
            foreach (float v in cql.Span) s += v;
            auxValue += (float)(Config.CqlCoefficient * s / cql.Count);
        }
        if (aux is not null) foreach (float v in aux.Span) auxValue += v;
        _lastAux = auxValue;
        double q = 0;
        foreach (float v in chosenQ.Span) q += v;
        _lastMeanQ = (float)(q / chosenQ.Count);
    }

    private void MaybeIntervene()
    {
        var c = Config;
        if (c.ExpertIntervention == ExpertIntervention.None || _gradientUpdates % c.ExpertInterventionPeriod != 0) return;
        // A fresh initializer sample of the whole network from the expert stream; only its expert tensors are used.
        var fresh = c.BuildNetwork(ObservationShape, ActionCount, _expertRng, new Rng(1));
        try
        {
            ExpertReset.Apply(Online, Optimizer, fresh, c.ExpertIntervention, c.ShrinkFactor, c.PerturbScale,
                              c.ExpertParameterMarker);
        }
        finally
        {
            foreach (var t in fresh.StateDict().Values) t.Dispose();
        }
    }
}
