using MoeScratch.Nn;
using MoeScratch.Nn.Optim;
using MoeScratch.Tensors;

namespace MoeScratch.Rl.Agents;

/// <summary>
/// Periodic expert interventions of P2 §6 ("improving expert utilization"): a reset of the MoE
/// experts, or Shrink &amp; Perturb (Ash &amp; Adams 2020, "On warm-starting neural network training").
/// </summary>
/// <remarks>
/// P2's code and hyperparameters are unavailable (P2 released no code), so these are our assumptions, stated here:
/// <list type="bullet">
/// <item>Only expert parameters change (router, encoder, head and the target network are left alone; the target
/// catches up at its next sync).</item>
/// <item>Reset re-initialises with the network's original initializers (a fresh build of the same network from
/// the agent's expert stream supplies the sample) and zeroes the parameters' Adam moments; the Adam step count is
/// global and stays.</item>
/// <item>Shrink &amp; Perturb is θ ← α·θ + σ·θ_init with θ_init such a fresh sample (α = 0.8, σ = 0.2 by default);
/// Adam moments are kept, as Ash &amp; Adams keep training with the same optimizer.</item>
/// </list>
/// </remarks>
public static class ExpertReset
{
    /// <summary>True when a dotted parameter name has a segment starting with <paramref name="marker"/>.</summary>
    public static bool IsExpertParameter(string name, string marker)
    {
        ArgumentNullException.ThrowIfNull(name);
        foreach (var segment in name.Split('.'))
        {
            if (segment.StartsWith(marker, StringComparison.Ordinal)) return true;
        }
        return false;
    }

    /// <summary>Applies <paramref name="mode"/> to every expert parameter of <paramref name="network"/>.</summary>
    /// <param name="network">The online network (changed in place).</param>
    /// <param name="optimizer">Its Adam; moments of reset parameters are zeroed. May be null.</param>
    /// <param name="freshSample">A freshly initialised network of the same architecture.</param>
    /// <param name="mode">Reset or Shrink &amp; Perturb.</param>
    /// <param name="shrink">α of Shrink &amp; Perturb.</param>
    /// <param name="perturb">σ of Shrink &amp; Perturb.</param>
    /// <param name="marker">Name-segment prefix that marks expert parameters.</param>
    /// <returns>The names of the parameters changed.</returns>
    /// <exception cref="InvalidOperationException">The network has no expert parameters (an intervention was
    /// configured for a network without an MoE).</exception>
    /// <exception cref="ArgumentException">The fresh sample does not match the network.</exception>
    public static IReadOnlyList<string> Apply(Module network, Adam? optimizer, Module freshSample,
                                              ExpertIntervention mode, float shrink, float perturb, string marker)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(freshSample);
        if (mode == ExpertIntervention.None) return [];
        var fresh = freshSample.StateDict();
        var moments = optimizer?.StateDict();
        var changed = new List<string>();
        using var noGrad = Tensor.NoGrad();
        foreach (var (name, p) in network.NamedParameters())
        {
            if (!IsExpertParameter(name, marker)) continue;
            if (!fresh.TryGetValue(name, out var init) || init.Shape != p.Shape)
            {
                throw new ArgumentException(
                    $"ExpertReset.Apply: the fresh sample has no parameter '{name}' of shape {p.Shape}; build it with " +
                    "the same network factory.");
            }
            if (mode == ExpertIntervention.Reset)
            {
                p.Backend.Copy(p, init);
                if (moments is not null)
                {
                    foreach (var key in new[] { "adam.m." + name, "adam.v." + name })
                    {
                        if (moments.TryGetValue(key, out var slot)) slot.Backend.Fill(slot, 0f);
                    }
                }
            }
            else
            {
                using var scope = TensorScope.Begin();
                var mixed = Ops.Add(Ops.Scale(p, shrink), Ops.Scale(init, perturb));
                p.Backend.Copy(p, mixed);
            }
            changed.Add(name);
        }
        if (changed.Count == 0)
        {
            throw new InvalidOperationException(
                $"ExpertReset.Apply: {mode} found no expert parameters (no name segment starts with '{marker}'); use " +
                "an MoE network or set ExpertIntervention = None.");
        }
        return changed;
    }
}
