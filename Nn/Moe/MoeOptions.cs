namespace MoeScratch.Nn.Moe;

/// <summary>
/// Soft MoE settings (P1 §2.2; defaults as dopamine's <c>softmoe.py</c>).
/// </summary>
/// <param name="NumExperts">Number of experts n.</param>
/// <param name="ExpertHidden">Hidden width h of each expert MLP (P1 §3: 512; P2's scaled SoftMoE-1: 4×512).</param>
/// <param name="CapacityFactor">Slots per expert p = ceil(m·CapacityFactor/n) without an override (softmoe.py).</param>
/// <param name="SlotsPerExpert">Explicit p; overrides <paramref name="CapacityFactor"/>.</param>
/// <param name="SlotFraction">
/// P2 Fig. 8 slot reduction: total slots S = max(1, round(SlotFraction·m)) (away from zero at .5), p = ceil(S/n).
/// Exclusive with <paramref name="SlotsPerExpert"/>.
/// </param>
/// <param name="Normalize">L2-normalize tokens and Φ (times the learned scale) for the logits only.</param>
/// <param name="RandomPhi">Draw a fresh standard-normal Φ every call, never learned (P1 Fig. 8 "RandPhi").</param>
/// <param name="NoisyExperts">Factorized-Gaussian noisy first expert layer (Full Rainbow, NoisyNetwork).</param>
public sealed record SoftMoeOptions(int NumExperts, int ExpertHidden = 512, double CapacityFactor = 1.0,
                                    int? SlotsPerExpert = null, double? SlotFraction = null, bool Normalize = false,
                                    bool RandomPhi = false, bool NoisyExperts = false);

/// <summary>
/// Top-k MoE settings (P1 §4.2, Fig. 9; defaults as dopamine's <c>routers.py</c>/<c>losses.py</c>).
/// Auxiliary losses are all off by default, as the released code (empty <c>aux_loss.loss_fns</c>).
/// </summary>
/// <param name="NumExperts">Number of experts n.</param>
/// <param name="ExpertHidden">Hidden width h of each expert MLP (P1 §3).</param>
/// <param name="K">Experts per token (P1 uses 1).</param>
/// <param name="CapacityFactor">Capacity per expert per observation = ceil(m·CapacityFactor/n) (routers.py).</param>
/// <param name="RouterNoise">Add Gaussian noise of std <paramref name="NoiseStd"/>/n to the router logits in training.</param>
/// <param name="NoiseStd">Router noise scale (1.0, Riquelme et al. 2021).</param>
/// <param name="NoisyExperts">Noisy first expert layer (NoisyNetwork).</param>
/// <param name="ImportanceLoss">Enable the importance loss (losses.py).</param>
/// <param name="ImportanceWeight">Importance loss weight (1.0).</param>
/// <param name="LoadLoss">Enable the noisy load loss (losses.py).</param>
/// <param name="LoadWeight">Load loss weight (1.0).</param>
/// <param name="LoadNoiseStd">Load loss noise scale: σ = LoadNoiseStd/n (std_scale = 1.0).</param>
/// <param name="EntropyLoss">Enable the naive entropy loss (losses.py).</param>
/// <param name="EntropyWeight">Entropy loss weight (0.5).</param>
public sealed record TopKMoeOptions(int NumExperts, int ExpertHidden = 512, int K = 1, double CapacityFactor = 1.0,
                                    bool RouterNoise = false, float NoiseStd = 1f, bool NoisyExperts = false,
                                    bool ImportanceLoss = false, float ImportanceWeight = 1f,
                                    bool LoadLoss = false, float LoadWeight = 1f, float LoadNoiseStd = 1f,
                                    bool EntropyLoss = false, float EntropyWeight = 0.5f);

/// <summary>
/// Expert Choice settings (P2; Zhou et al. 2022, arXiv 2202.09368). P2 released no code,
/// P2 released no code), so the capacity rule follows Zhou et al.: each expert picks p tokens of one observation.
/// </summary>
/// <param name="NumExperts">Number of experts n.</param>
/// <param name="ExpertHidden">Hidden width h of each expert MLP (P1 §3).</param>
/// <param name="CapacityFactor">p = ceil(m·CapacityFactor/n) tokens per expert when <paramref name="Capacity"/> is unset.</param>
/// <param name="Capacity">Explicit tokens per expert p (P2's "expert specialization" test sets p = m).</param>
/// <param name="NoisyExperts">Noisy first expert layer (NoisyNetwork).</param>
public sealed record ExpertChoiceOptions(int NumExperts, int ExpertHidden = 512, double CapacityFactor = 1.0,
                                         int? Capacity = null, bool NoisyExperts = false);
