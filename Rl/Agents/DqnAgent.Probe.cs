using MoeScratch.Rl.Analysis;
using MoeScratch.Rl.Replay;
using MoeScratch.Tensors;

namespace MoeScratch.Rl.Agents;

/// <summary>The analysis probe (P1 Fig. 10) on a batch of the agent's replay memory.</summary>
public sealed partial class DqnAgent : IProbeableAgent
{
    private BatchBuffers? _probeBatch; // reused between probes of the same size (one probe per iteration)

    /// <inheritdoc/>
    /// <remarks>
    /// <para>The eNTK's per-sample loss ℓ_b is the agent's own unweighted TD loss (MSE or Huber against
    /// y = R + d·Q_target(s′, a*)) or C51 cross-entropy against the projected target, built by the same code as the
    /// update (<c>BuildTargets</c>, <c>SampleLosses</c>); no IS weight, CQL or MoE auxiliary term, which are batch
    /// terms. Dopamine's Full-Rainbow MoE agent uses the C51 loss the same way (P1 Fig. 10).</para>
    /// <para>What keeps training bit-identical: indices come from a <see cref="UniformSampler"/> over
    /// <paramref name="rng"/>, never from the replay's sampler, whose RNG (and, with PER, priorities) training owns;
    /// the batch is uniform even for prioritized agents, where Dopamine logs on the PER training batch. No DrQ
    /// augmentation (it would draw from the augmentation stream). Targets and the probe's forwards run in evaluation
    /// mode (noise off), and the online and target noise streams are saved and restored all the same, because a few
    /// ablations (Soft MoE RandomPhi, the Top-k load loss) draw noise in any mode. <see cref="NetworkProbe"/> restores
    /// gradients and module modes; nothing steps the optimizer or a counter.</para>
    /// <para>Null until the replay memory holds more than <see cref="AgentConfig.MinReplayHistory"/> transitions,
    /// the agent's own condition for sampling a batch.</para>
    /// </remarks>
    public ProbeReport? Probe(int batchSize, Rng rng, ProbeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(rng);
        if (batchSize < 1) throw new ArgumentException($"DqnAgent.Probe: batchSize must be ≥ 1, got {batchSize}.", nameof(batchSize));
        if (Replay.AddCount <= Config.MinReplayHistory) return null;
        var bb = _probeBatch is { } cached && cached.Indices.Length == batchSize
            ? cached
            : _probeBatch = new BatchBuffers(batchSize, _stack.Length, ActionCount, Config.Head.Atoms);
        new UniformSampler(rng).Sample(Replay, bb.Indices, bb.Probabilities);
        Replay.FillBatch(bb.Indices, bb.States, bb.Actions, bb.Returns, bb.Discounts, bb.NextStates);

        var states = new Shape(batchSize, _height, _width, _channels * Config.StackSize);
        Shape one = new(1), oneAtoms = new(1, Config.Head.Atoms);
        byte[] onlineNoise = _onlineNoise.SaveState(), targetNoise = _targetNoise.SaveState();
        bool onlineTraining = Online.Training, targetTraining = Target.Training;
        try
        {
            using var scope = TensorScope.Begin();
            Online.Eval();
            Target.Eval();
            BuildTargets(Tensor.FromBytes(bb.NextStates, states, _scale), bb);
            if (options is { EvalMode: false }) Online.Train(true); // asked for noise: drawn from the saved stream
            return NetworkProbe.Run(Online, Tensor.FromBytes(bb.States, states, _scale),
                                    (output, b) => SampleLosses(output, bb, b, one, oneAtoms, out _), options);
        }
        finally
        {
            // The agent only ever sets whole-network modes (SelectAction, TrainOnce), so the root flags suffice.
            Online.Train(onlineTraining);
            Target.Train(targetTraining);
            _onlineNoise.RestoreState(onlineNoise);
            _targetNoise.RestoreState(targetNoise);
        }
    }
}
