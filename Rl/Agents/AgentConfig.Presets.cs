using MoeScratch.Nn.Heads;
using MoeScratch.Nn.Networks;

namespace MoeScratch.Rl.Agents;

public sealed partial record AgentConfig
{
    /// <summary>Dopamine JAX DQN as in P1 (P1 Table 2, Dopamine labs/moes/configs/dqn.gin). The agent fields
    /// are the class defaults: lr 6.25e-5, eps 1.5e-4, batch 32, γ 0.99, n 1, min replay 20k, update period 4, target
    /// 8k, ε 0.01 / 0.001 over 250k, replay 1M, stack 4, MSE loss, uniform replay, no double/dueling/noisy. The network
    /// is dqn.gin's Nature CNN (<c>NatureDQNMoE</c>); dqn_impala.gin is the same agent on the Impala encoder.</summary>
    public static AgentConfig Dqn => new()
    {
        Network = NetworkConfig.Baseline() with { Encoder = EncoderKind.NatureCnn }, // dqn.gin: NatureDQNMoE
    };

    /// <summary>Dopamine's JaxRainbowAgent (jax/agents/rainbow/rainbow_agent.py): DQN plus n = 3, C51 (51 atoms,
    /// v_max 10) and prioritized replay; ε-greedy; no noisy nets, dueling or double DQN.</summary>
    public static AgentConfig RainbowLite => Dqn with
    {
        UpdateHorizon = 3, // rainbow_agent.py "n-step returns (3)"
        Head = HeadOptions.RainbowLite, // rainbow_agent.py C51, 51 atoms, vmax 10
        Prioritized = true, // rainbow_agent.py prioritized replay
    };

    /// <summary>Dopamine Full Rainbow as used in P1 (P1 Table 2): Rainbow-lite plus noisy nets, dueling and
    /// double DQN; ε = 0 through the noisy head; the Impala encoder (full_rainbow.gin encoder_type='IMPALA').</summary>
    public static AgentConfig FullRainbow => RainbowLite with
    {
        Network = NetworkConfig.Baseline(), // full_rainbow.gin: encoder_type='IMPALA' (P1 §2.1 "mostly Impala")
        Head = HeadOptions.FullRainbow, // full_rainbow.gin: C51 51 atoms vmax 10, noisy, dueling
        DoubleDqn = true, // full_rainbow.gin double DQN
    };

    /// <summary>Data-efficient Rainbow (P1 Table 1, atari_100k DER.gin): n 10, min replay 1600, update period 1, target
    /// 2000, ε decay 2000, lr 1e-4, eps 1.5e-4, C51 dueling noisy double, prioritized, Nature CNN.</summary>
    public static AgentConfig Der => FullRainbow with
    {
        // labs/moes/configs/DER.gin: encoder_type='CNN' (P1 Fig. 12 reports Impala runs: pass --encoder impala).
        Network = NetworkConfig.Baseline() with { Encoder = EncoderKind.NatureCnn },
        UpdateHorizon = 10, // DER.gin n-step 10
        MinReplayHistory = 1_600, // DER.gin
        UpdatePeriod = 1, // DER.gin RR = 1
        TargetUpdatePeriod = 2_000, // DER.gin
        EpsilonDecayPeriod = 2_000, // DER.gin (unused: noisy ⇒ ε = 0)
        LearningRate = 1e-4f, // DER.gin
        AdamEpsilon = 1.5e-4f, // DER.gin
    };

    /// <summary>DrQ(ε) (P1 Table 1, atari_100k DrQ_eps.gin): n 10, min replay 1600, update period 1, target period 1,
    /// ε 0.01 over 5000, lr 1e-4, non-distributional dueling double DQN, Huber, uniform, augmentation on; the Nature
    /// CNN of <see cref="Dqn"/> (atari_100k's default network).</summary>
    public static AgentConfig DrqEpsilon => Dqn with
    {
        UpdateHorizon = 10, // DrQ_eps.gin
        MinReplayHistory = 1_600, // DrQ_eps.gin
        UpdatePeriod = 1, // DrQ_eps.gin
        TargetUpdatePeriod = 1, // DrQ_eps.gin: target = online, every step
        EpsilonDecayPeriod = 5_000, // DrQ_eps.gin
        LearningRate = 1e-4f, // DrQ_eps.gin
        AdamEpsilon = 1.5e-4f, // DrQ_eps.gin
        Head = HeadOptions.DrqEpsilon, // DrQ_eps.gin: num_atoms 1, dueling, no noise
        DoubleDqn = true, // DrQ_eps.gin
        Loss = TdLossKind.Huber, // DrQ_eps.gin: Huber (mse_loss=False)
        Augmentation = true, // DrQ_eps.gin: DrQ augmentation
    };

    /// <summary>Offline CQL (P1 Table 3): lr 5e-5, eps 3.125e-4, n 1, update period 1, uniform,
    /// Huber TD, CQL coefficient 0.1, replay 2.5M, target period 2000 (jax_classy_cql.gin).</summary>
    public static AgentConfig Cql => Dqn with
    {
        LearningRate = 5e-5f, // Table 3
        AdamEpsilon = 3.125e-4f, // Table 3
        UpdatePeriod = 1, // Table 3
        MinReplayHistory = 0, // offline: the buffer is filled from data before training
        TargetUpdatePeriod = 2_000, // jax_classy_cql.gin (P1 Table 3 gives no target period)
        ReplayCapacity = 2_500_000, // Table 3 fixed replay capacity
        Loss = TdLossKind.Huber, // Dopamine offline_rl: Huber for the non-distributional agent
        CqlCoefficient = 0.1f, // Table 3 / bc_coefficient
        TdCoefficient = 1f, // Dopamine offline_rl td_coefficient
    };

    /// <summary>Offline CQL+C51 (P1 Table 3): lr 6.25e-5, eps 1.5e-4, n 3, C51 dueling double, uniform, CQL on
    /// the expected Q, target period 100 (offline jax_rainbow.gin).</summary>
    public static AgentConfig CqlC51 => Cql with
    {
        LearningRate = 6.25e-5f, // Table 3
        AdamEpsilon = 1.5e-4f, // Table 3
        UpdateHorizon = 3, // Table 3
        Head = new HeadOptions(Atoms: 51, VMax: 10f, Dueling: true), // Table 3: 51 atoms, dueling
        DoubleDqn = true, // Table 3
        TargetUpdatePeriod = 100, // offline jax_rainbow.gin
    };

    /// <summary>MinAtar DQN of Revisiting Rainbow (Obando-Ceron &amp; Castro 2021) / Dopamine's MinAtar configs
    /// (labs/environments/minatar): stack 1, min replay 1000, target 1000, replay 100k, update period 4, lr 2.5e-4,
    /// eps 3.125e-4, n 1.</summary>
    public static AgentConfig MinAtarDqn => Dqn with
    {
        StackSize = 1, // Revisiting Rainbow
        MinReplayHistory = 1_000, // Revisiting Rainbow
        TargetUpdatePeriod = 1_000, // Revisiting Rainbow
        ReplayCapacity = 100_000, // Revisiting Rainbow
        UpdatePeriod = 4, // Revisiting Rainbow
        LearningRate = 2.5e-4f, // Revisiting Rainbow
        AdamEpsilon = 3.125e-4f, // Revisiting Rainbow
        // One 16@3×3 SAME conv (Revisiting Rainbow). Dense width 512 on purpose: the MinAtar study compares P1's
        // networks, in which the Soft MoE replaces the 512-wide penultimate dense layer, so the dense baseline keeps
        // P1's 512 (P1 Table 2). The MinAtar paper (Young & Tian 2019) uses 128 and Revisiting Rainbow (Obando-Ceron &
        // Castro 2021) no hidden layer (DenseWidth = 0); the trainer's --dense-width picks either.
        Network = NetworkConfig.Baseline() with { Encoder = EncoderKind.MinAtar, DenseWidth = NetworkConfig.BaseWidth },
    };

    /// <summary>MinAtar Rainbow of Revisiting Rainbow: lr 1e-4, eps 3.125e-4, n 3, 51 atoms,
    /// v_max 100, prioritized, noisy, dueling, double; the rest as <see cref="MinAtarDqn"/>.</summary>
    public static AgentConfig MinAtarRainbow => MinAtarDqn with
    {
        LearningRate = 1e-4f, // Revisiting Rainbow
        UpdateHorizon = 3, // Revisiting Rainbow
        Head = new HeadOptions(Atoms: 51, VMax: 100f, Dueling: true, Noisy: true), // Revisiting Rainbow
        Prioritized = true, // Revisiting Rainbow
        DoubleDqn = true, // Revisiting Rainbow
    };
}
