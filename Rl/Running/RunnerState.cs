using System.Globalization;
using System.Text.Json.Nodes;

namespace MoeScratch.Rl.Running;

/// <summary>
/// The runner's counters and the progress of the iteration in progress: everything besides the agent and the
/// environment that a checkpoint needs for an exact resume. A run normally checkpoints at
/// iteration ends, where the progress lists are empty; after a cancellation it checkpoints at the episode
/// boundary where it stopped, and the partial iteration continues on resume.
/// </summary>
public sealed class RunnerState
{
    /// <summary>Iterations completed (= the 0-based index of the iteration in progress).</summary>
    public int Iteration { get; set; }

    /// <summary>Training agent steps over the run.</summary>
    public long TotalSteps { get; set; }

    /// <summary>Training episodes finished over the run.</summary>
    public long TotalEpisodes { get; set; }

    /// <summary>Evaluation agent steps over the run.</summary>
    public long TotalEvalSteps { get; set; }

    /// <summary>Evaluation episodes finished over the run.</summary>
    public long TotalEvalEpisodes { get; set; }

    /// <summary>True once the iteration in progress has finished its training phase.</summary>
    public bool InEvaluation { get; set; }

    /// <summary>Training steps taken so far in the iteration in progress.</summary>
    public long IterationTrainSteps { get; set; }

    /// <summary>Evaluation steps taken so far in the iteration in progress.</summary>
    public long IterationEvalSteps { get; set; }

    /// <summary>Wall and environment seconds of the iteration in progress (training, evaluation).</summary>
    public double[] IterationSeconds { get; set; } = new double[4];

    /// <summary>Training episodes of the iteration in progress.</summary>
    public List<EpisodeRecord> TrainEpisodes { get; } = [];

    /// <summary>Evaluation episodes of the iteration in progress.</summary>
    public List<EpisodeRecord> EvalEpisodes { get; } = [];

    /// <summary>
    /// Set when a run resumes without a saved environment state (the environment is not an
    /// <c>IStatefulEnvironment</c>): the next episode starts with <c>Reset(seed)</c> where the seed derives from the
    /// run seed and <see cref="TotalEpisodes"/> + <see cref="TotalEvalEpisodes"/>. The resumed run is then a
    /// valid continuation but not bit-identical to an uninterrupted one.
    /// </summary>
    public bool NeedsEnvironmentReseed { get; set; }

    /// <summary>Serialises the state as JSON (doubles in round-trip form, so a reload is exact).</summary>
    public JsonObject ToJson()
    {
        var seconds = new JsonArray();
        // JsonNode conversions only (no reflection-based serialisation): checkpoints must work in trimmed and
        // file-based apps, where System.Text.Json's reflection resolver is off.
        foreach (double s in IterationSeconds) seconds.Add((JsonNode)s.ToString("R", CultureInfo.InvariantCulture));
        return new JsonObject
        {
            ["iteration"] = Iteration,
            ["total_steps"] = TotalSteps,
            ["total_episodes"] = TotalEpisodes,
            ["total_eval_steps"] = TotalEvalSteps,
            ["total_eval_episodes"] = TotalEvalEpisodes,
            ["in_evaluation"] = InEvaluation,
            ["iteration_train_steps"] = IterationTrainSteps,
            ["iteration_eval_steps"] = IterationEvalSteps,
            ["iteration_seconds"] = seconds,
            ["train_episodes"] = Episodes(TrainEpisodes),
            ["eval_episodes"] = Episodes(EvalEpisodes),
            ["needs_environment_reseed"] = NeedsEnvironmentReseed,
        };
    }

    /// <summary>Parses <see cref="ToJson"/> output; <paramref name="source"/> names the file in errors.</summary>
    /// <exception cref="InvalidDataException">A field is missing or malformed.</exception>
    public static RunnerState FromJson(JsonObject json, string source)
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            var s = new RunnerState
            {
                Iteration = Get<int>(json, "iteration", source),
                TotalSteps = Get<long>(json, "total_steps", source),
                TotalEpisodes = Get<long>(json, "total_episodes", source),
                TotalEvalSteps = Get<long>(json, "total_eval_steps", source),
                TotalEvalEpisodes = Get<long>(json, "total_eval_episodes", source),
                InEvaluation = Get<bool>(json, "in_evaluation", source),
                IterationTrainSteps = Get<long>(json, "iteration_train_steps", source),
                IterationEvalSteps = Get<long>(json, "iteration_eval_steps", source),
                NeedsEnvironmentReseed = Get<bool>(json, "needs_environment_reseed", source),
                IterationSeconds = [.. Node(json, "iteration_seconds", source).AsArray().Select(n => ParseDouble(n!.GetValue<string>()))],
            };
            s.TrainEpisodes.AddRange(ParseEpisodes(Node(json, "train_episodes", source).AsArray()));
            s.EvalEpisodes.AddRange(ParseEpisodes(Node(json, "eval_episodes", source).AsArray()));
            if (s.Iteration < 0 || s.TotalSteps < 0 || s.IterationSeconds.Length != 4)
                throw new InvalidDataException($"{source}: runner state holds negative counters or a malformed iteration_seconds array.");
            return s;
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{source}: malformed runner state: {e.Message}", e);
        }
    }

    private static JsonArray Episodes(List<EpisodeRecord> list)
    {
        var a = new JsonArray();
        foreach (var e in list)
        {
            a.Add((JsonNode)new JsonArray((int)e.Phase, e.Iteration, e.Index, e.Return.ToString("R", CultureInfo.InvariantCulture), e.Length, e.Truncated, e.TotalSteps));
        }
        return a;
    }

    private static IEnumerable<EpisodeRecord> ParseEpisodes(JsonArray a) =>
        a.Select(n => n!.AsArray()).Select(e => new EpisodeRecord((RunPhase)e[0]!.GetValue<int>(), e[1]!.GetValue<int>(), e[2]!.GetValue<long>(),
            ParseDouble(e[3]!.GetValue<string>()), e[4]!.GetValue<int>(), e[5]!.GetValue<bool>(), e[6]!.GetValue<long>()));

    private static double ParseDouble(string s) => double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture);

    private static JsonNode Node(JsonObject o, string key, string source) =>
        o[key] ?? throw new InvalidDataException($"{source}: runner state lacks '{key}'.");

    private static T Get<T>(JsonObject o, string key, string source) => Node(o, key, source).GetValue<T>();
}
