using System.Globalization;
using MoeScratch.Rl.Envs.MinAtar;
using MoeScratch.Tensors;

namespace MoeScratch.Benchmarks.Quick;

/// <summary>
/// Environment throughput of one MinAtar game: 10,000 uniformly random steps per iteration, resetting on a
/// terminal, observations not read (the replay warm-up case). Reports <c>steps_per_s</c>.
/// </summary>
public abstract class MinAtarStepsWorkload : IQuickWorkload
{
    /// <summary>Steps per timed iteration.</summary>
    public const int StepsPerRun = 10_000;

    private readonly string _game;
    private MinAtarGame? _env;
    private Rng _actions = new(0);

    /// <summary>Creates the workload for a registered game name.</summary>
    protected MinAtarStepsWorkload(string game) => _game = game;

    /// <inheritdoc/>
    public string Name => $"minatar-{_game.Replace('_', '-')}-steps";

    /// <inheritdoc/>
    public double? Flops => null;

    /// <inheritdoc/>
    public void Setup(QuickSetup setup)
    {
        _env?.Dispose();
        _env = MinAtarGames.Create(_game, 0);
        _actions = new Rng(1);
    }

    /// <inheritdoc/>
    public void Run()
    {
        MinAtarGame env = _env ?? throw new InvalidOperationException($"{Name}: call Setup before Run.");
        int n = env.ActionCount;
        for (int i = 0; i < StepsPerRun; i++)
        {
            if (env.Step(_actions.NextInt(n)).Terminated) env.Reset();
        }
    }

    /// <inheritdoc/>
    public string ExtraFields(double medianMs) =>
        string.Create(CultureInfo.InvariantCulture, $" steps_per_s={StepsPerRun / (medianMs / 1000.0):F0}");
}

/// <summary>Asterix step throughput.</summary>
public sealed class MinAtarAsterixSteps() : MinAtarStepsWorkload("asterix");

/// <summary>Breakout step throughput.</summary>
public sealed class MinAtarBreakoutSteps() : MinAtarStepsWorkload("breakout");

/// <summary>Freeway step throughput.</summary>
public sealed class MinAtarFreewaySteps() : MinAtarStepsWorkload("freeway");

/// <summary>Seaquest step throughput.</summary>
public sealed class MinAtarSeaquestSteps() : MinAtarStepsWorkload("seaquest");

/// <summary>Space Invaders step throughput.</summary>
public sealed class MinAtarSpaceInvadersSteps() : MinAtarStepsWorkload("space_invaders");
