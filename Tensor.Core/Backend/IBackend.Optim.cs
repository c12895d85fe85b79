namespace MoeScratch.Tensors;

public partial interface IBackend
{
    /// <summary>
    /// One fused Adam update (Kingma &amp; Ba 2015; identical in optax and PyTorch, eps outside the root):
    /// m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²; p ← p − lr·(m/c1)/(√(v/c2) + eps), with the bias
    /// corrections c1 = 1−β1ᵗ and c2 = 1−β2ᵗ precomputed by the caller. Optional decoupled weight decay
    /// (AdamW): p ← p − lr·wd·p first.
    /// </summary>
    void AdamStep(Tensor param, Tensor m, Tensor v, Tensor grad, float lr, float beta1, float beta2, float eps,
                  float c1, float c2, float weightDecay);

    /// <summary>
    /// One RMSProp update: v ← ρ·v + (1−ρ)·g²; when centered, a ← ρ·a + (1−ρ)·g and the denominator uses
    /// v − a²; with momentum μ: buf ← μ·buf + g/denom, p ← p − lr·buf (else p ← p − lr·g/denom).
    /// denom = √(v' + eps) when <paramref name="epsInsideSqrt"/> (TensorFlow, as Dopamine's DQN used) else √v' + eps
    /// (PyTorch). <paramref name="avg"/> and <paramref name="mom"/> may be null when unused.
    /// </summary>
    void RmsPropStep(Tensor param, Tensor v, Tensor? avg, Tensor? mom, Tensor grad, float lr, float rho, float eps,
                     float momentum, bool epsInsideSqrt);

    /// <summary>SGD with (PyTorch-style) momentum: buf ← μ·buf + g; p ← p − lr·buf (buf null when μ = 0).</summary>
    void SgdStep(Tensor param, Tensor? buf, Tensor grad, float lr, float momentum);
}
