using System.Diagnostics;
using MoeScratch.Rl.Agents;
using MoeScratch.Rl.Analysis;
using MoeScratch.Tensors;

namespace MoeScratch.Rl.Running;

/// <summary>
/// The analysis probes of P1 Fig. 10 as a <see cref="Runner"/> runs them: at the end of every
/// <see cref="Every"/>-th iteration, <see cref="NetworkProbe"/> on one fresh batch from the agent's replay memory
/// (<see cref="IProbeableAgent.Probe"/>), every scalar ("analysis/…") sent through <see cref="IMetricsSink.Scalar"/>
/// at the iteration's last training step, plus <c>analysis/probe_seconds</c>, the probe's wall time.
/// </summary>
/// <remarks>
/// The batch is drawn from <c>Rng.ForStream(run seed, <see cref="StreamBase"/> + iteration)</c>: a stream of its
/// own, so the probe consumes nothing training draws from; and a function of the iteration alone, so it needs no
/// checkpointed state and a resumed run probes the same batches as an uninterrupted one. The agent guarantees the
/// rest (parameters, optimizer, replay and noise untouched); tests/Rl.Tests/Running/IterationProbeTests.cs checks
/// that a run with probes equals a run without, loss for loss.
/// </remarks>
public sealed class IterationProbe
{
    /// <summary>
    /// First stream id of the per-iteration probe streams, far from the runner's environment reseed streams
    /// (0x5EED_0000 + episode) and the small ids callers give environments and agents.
    /// </summary>
    public const ulong StreamBase = 0xA7A1_0000UL << 32;

    /// <summary>Tag of the probe's wall time in seconds (not part of the report: it is not a network statistic).</summary>
    public const string SecondsTag = "probe_seconds";

    /// <summary>Creates the schedule.</summary>
    /// <param name="every">Probe after iterations every, 2·every, … (1: every iteration).</param>
    /// <param name="batchSize">Transitions per probe (P1 §4.3 computes its statistics on batches of 32); the eNTK costs
    /// one forward and backward per sample plus a B × B Gram matrix.</param>
    /// <param name="options">τ, δ, thresholds and tag prefix (default <see cref="ProbeOptions"/>: τ = 0, δ = 0.01).</param>
    /// <exception cref="ArgumentException"><paramref name="every"/> or <paramref name="batchSize"/> is less than 1.</exception>
    public IterationProbe(int every = 1, int batchSize = 32, ProbeOptions? options = null)
    {
        if (every < 1) throw new ArgumentException($"IterationProbe: every = {every} must be ≥ 1 (leave Runner.Probe null to turn probes off).", nameof(every));
        if (batchSize < 1) throw new ArgumentException($"IterationProbe: batchSize = {batchSize} must be ≥ 1.", nameof(batchSize));
        Every = every;
        BatchSize = batchSize;
        Options = options ?? new ProbeOptions();
    }

    /// <summary>Iterations between probes.</summary>
    public int Every { get; }

    /// <summary>Transitions per probe batch.</summary>
    public int BatchSize { get; }

    /// <summary>Settings passed to <see cref="NetworkProbe.Run"/>.</summary>
    public ProbeOptions Options { get; }

    /// <summary>Whether the iteration with 0-based index <paramref name="iteration"/> ends with a probe (the
    /// checkpoint cadence's convention: after iterations Every, 2·Every, …).</summary>
    public bool IsDue(int iteration) => (iteration + 1) % Every == 0;

    /// <summary>Probes <paramref name="agent"/> for <paramref name="iteration"/> and logs the scalars at <paramref name="step"/>.</summary>
    /// <returns>The report, or null when the agent cannot serve a batch yet (then nothing is logged).</returns>
    public ProbeReport? Log(IProbeableAgent agent, ulong runSeed, int iteration, long step, IMetricsSink sink)
    {
        ArgumentNullException.ThrowIfNull(agent);
        ArgumentNullException.ThrowIfNull(sink);
        var clock = Stopwatch.StartNew();
        ProbeReport? report = agent.Probe(BatchSize, Rng.ForStream(runSeed, StreamBase + (ulong)iteration), Options);
        if (report is null) return null;
        double seconds = clock.Elapsed.TotalSeconds;
        foreach (var (tag, value) in report.Scalars) sink.Scalar(tag, step, value);
        sink.Scalar(Options.Prefix + SecondsTag, step, seconds);
        return report;
    }
}
