using MoeScratch.Tensors;

namespace MoeScratch.Rl.Agents;

/// <summary>Which regression loss a non-distributional agent puts on its TD errors.</summary>
public enum TdLossKind
{
    /// <summary>
    /// (y − q)², no ½ factor: Dopamine's <c>dopamine/jax/losses.py</c> <c>mse_loss</c> returns
    /// <c>jnp.power(targets − predictions, 2)</c> and the agent averages it over the batch (dopamine dqn_agent.py).
    /// </summary>
    Mse,

    /// <summary>
    /// Huber with δ = 1: ½x² for x ≤ 1, ½ + (x − 1) beyond, x = |y − q| (Dopamine's <c>huber_loss</c>; DrQ(ε)
    /// and CQL, P1 Tables 1 and 3).
    /// </summary>
    Huber,
}

/// <summary>
/// The pure update maths of the value-based agents (Dopamine's; P1 Tables 1–3). Span functions take row-major
/// [B, A] value matrices and are meant for target computations, which carry no gradient; tensor functions are
/// the differentiable loss terms. Each is tested with hand-computed numbers (tests/Rl.Tests/Agents/DqnMathTests.cs).
/// </summary>
public static class DqnMath
{
    /// <summary>
    /// y_i = R_i + d_i · nextQ_i with d = γ^n·(1 − terminal) as the replay buffer returns it (Dopamine:
    /// "r + γ^n · max_a Q_target(s', a) · (1 − done)").
    /// </summary>
    /// <exception cref="ArgumentException">The spans differ in length.</exception>
    public static void TdTargets(ReadOnlySpan<float> returns, ReadOnlySpan<float> discounts, ReadOnlySpan<float> nextQ,
                                 Span<float> targets)
    {
        int b = returns.Length;
        if (discounts.Length != b || nextQ.Length != b || targets.Length != b)
        {
            throw new ArgumentException(
                $"DqnMath.TdTargets: returns ({b}), discounts ({discounts.Length}), nextQ ({nextQ.Length}) and " +
                $"targets ({targets.Length}) must have the same length.");
        }
        for (int i = 0; i < b; i++) targets[i] = returns[i] + (discounts[i] * nextQ[i]);
    }

    /// <summary>Per-row first argmax of a [B, A] matrix (ties to the lowest index, as <c>jnp.argmax</c>).</summary>
    /// <exception cref="ArgumentException">Sizes disagree or a value is NaN (the network diverged).</exception>
    public static void GreedyActions(ReadOnlySpan<float> q, int actions, Span<int> result)
    {
        int b = CheckMatrix(q, actions, result.Length, "GreedyActions");
        for (int i = 0; i < b; i++) result[i] = Exploration.EpsilonGreedy.Argmax(q.Slice(i * actions, actions));
    }

    /// <summary>result_i = q[i, index_i].</summary>
    /// <exception cref="ArgumentException">Sizes disagree or an index is outside [0, A).</exception>
    public static void GatherRows(ReadOnlySpan<float> q, int actions, ReadOnlySpan<int> index, Span<float> result)
    {
        int b = CheckMatrix(q, actions, result.Length, "GatherRows");
        if (index.Length != b) throw new ArgumentException($"DqnMath.GatherRows: {index.Length} indices for {b} rows.");
        for (int i = 0; i < b; i++)
        {
            if ((uint)index[i] >= (uint)actions)
            {
                throw new ArgumentException($"DqnMath.GatherRows: index {index[i]} in row {i} is outside [0, {actions}).");
            }
            result[i] = q[(i * actions) + index[i]];
        }
    }

    /// <summary>
    /// The bootstrap action a* per next state: argmax of the online network's values for double DQN
    /// (van Hasselt et al. 2016; Full Rainbow, DER, DrQ(ε), CQL+C51), else argmax of the target network's values.
    /// </summary>
    /// <param name="targetQ">[B, A] target-network values on s′.</param>
    /// <param name="onlineQ">[B, A] online-network values on s′; required when <paramref name="doubleDqn"/>.</param>
    /// <param name="actions">A.</param>
    /// <param name="doubleDqn">Select with the online network.</param>
    /// <param name="result">[B] a*.</param>
    public static void BootstrapActions(ReadOnlySpan<float> targetQ, ReadOnlySpan<float> onlineQ, int actions,
                                        bool doubleDqn, Span<int> result)
    {
        if (doubleDqn && onlineQ.Length != targetQ.Length)
        {
            throw new ArgumentException(
                $"DqnMath.BootstrapActions: double DQN needs online values of the same size as the target's " +
                $"({targetQ.Length}), got {onlineQ.Length}.");
        }
        GreedyActions(doubleDqn ? onlineQ : targetQ, actions, result);
    }

    /// <summary>
    /// Per-sample TD loss between Q(s, a) [B] and detached targets y [B]: (y − q)² for
    /// <see cref="TdLossKind.Mse"/>, Huber(δ = 1) for <see cref="TdLossKind.Huber"/>. Returns [B]; the agent
    /// weights and averages it.
    /// </summary>
    public static Tensor TdLoss(Tensor chosenQ, Tensor targets, TdLossKind kind) => kind switch
    {
        TdLossKind.Mse => Ops.MseLoss(chosenQ, targets, Reduction.None),
        TdLossKind.Huber => Ops.HuberLoss(chosenQ, targets, 1f, Reduction.None),
        _ => throw new ArgumentException($"DqnMath.TdLoss: unknown loss kind {kind}."),
    };

    /// <summary>
    /// Per-sample C51 loss: softmax cross-entropy −Σ_i m_i log softmax(logits)_i between the projected target
    /// distribution m [B, N] (from <see cref="CategoricalProjection.Project"/>, detached) and the chosen action's
    /// logits [B, N] (dopamine rainbow_agent.py). Returns [B]; these are also the PER losses.
    /// </summary>
    public static Tensor C51Loss(Tensor chosenLogits, Tensor targetDistribution) =>
        Ops.SoftmaxCrossEntropy(chosenLogits, targetDistribution, -1, Reduction.None);

    /// <summary>
    /// Per-sample CQL(H) regulariser of Dopamine's offline agents (P1 Table 3): logsumexp_a Q(s, a) −
    /// Q(s, a_data). For CQL+C51, <paramref name="q"/> is the expected value Σ z·p of each action.
    /// </summary>
    /// <param name="q">[B, A] action values with gradient.</param>
    /// <param name="chosenQ">[B] Q(s, a_data), taken from the same <paramref name="q"/>.</param>
    /// <returns>[B].</returns>
    public static Tensor CqlRegularizer(Tensor q, Tensor chosenQ)
    {
        if (q.Rank != 2 || chosenQ.Rank != 1 || chosenQ.Shape[0] != q.Shape[0])
        {
            throw new ArgumentException(
                $"DqnMath.CqlRegularizer: q must be [B, A] and chosenQ [B]; got {q.Shape} and {chosenQ.Shape}.");
        }
        return Ops.Sub(Ops.LogSumExp(q, [1]), chosenQ);
    }

    /// <summary>
    /// The scalar training loss (Dopamine's agents; P1 Table 3, Fig. 9): td_coef · mean_i(w_i · td_i) + cql_coef ·
    /// mean_i(cql_i) + aux. w are the normalised importance weights of prioritized replay (null: all 1);
    /// <paramref name="cql"/> and <paramref name="aux"/> may be null.
    /// </summary>
    public static Tensor CombineLoss(Tensor perSampleTd, Tensor? weights, float tdCoefficient, Tensor? cql,
                                     float cqlCoefficient, Tensor? aux)
    {
        var td = weights is null ? perSampleTd : Ops.Mul(weights, perSampleTd);
        var loss = Ops.Mean(td);
        if (tdCoefficient != 1f) loss = Ops.Scale(loss, tdCoefficient);
        if (cql is not null) loss = Ops.Add(loss, Ops.Scale(Ops.Mean(cql), cqlCoefficient));
        if (aux is not null) loss = Ops.Add(loss, Ops.Sum(aux));
        return loss;
    }

    /// <summary>Index tensor [B, 1] (float integers) for <see cref="Ops.Gather"/> of Q [B, A] along axis 1.</summary>
    public static Tensor ActionIndex(ReadOnlySpan<int> actions, IBackend? backend = null)
    {
        var t = Tensor.Empty(new Shape(actions.Length, 1), backend);
        Span<float> s = t.Span;
        for (int i = 0; i < actions.Length; i++) s[i] = actions[i];
        return t;
    }

    /// <summary>Index tensor [B, 1, N] for gathering the chosen action's logits from [B, A, N] along axis 1.</summary>
    public static Tensor AtomIndex(ReadOnlySpan<int> actions, int atoms, IBackend? backend = null)
    {
        var t = Tensor.Empty(new Shape(actions.Length, 1, atoms), backend);
        Span<float> s = t.Span;
        for (int i = 0; i < actions.Length; i++) s.Slice(i * atoms, atoms).Fill(actions[i]);
        return t;
    }

    private static int CheckMatrix(ReadOnlySpan<float> q, int actions, int rows, string who)
    {
        if (actions <= 0 || q.Length != rows * actions)
        {
            throw new ArgumentException(
                $"DqnMath.{who}: a [{rows}, {actions}] matrix needs {rows * actions} values, got {q.Length}.");
        }
        return rows;
    }
}
