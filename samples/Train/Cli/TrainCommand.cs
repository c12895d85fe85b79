using System.CommandLine;
using MoeScratch.Rl.Running;
using MoeScratch.Tensors.Cpu;
using MoeScratch.Train.Config;
using MoeScratch.Train.Training;

namespace MoeScratch.Train.Cli;

/// <summary>
/// <c>train</c> (also the root command's default): resolve the config, train with live progress, checkpoint, and
/// end with the learning curve and the summary. Ctrl-C checkpoints at the next episode boundary and exits with 130.
/// </summary>
internal static class TrainCommand
{
    /// <summary>Exit code after Ctrl-C (128 + SIGINT), as shells report an interrupted command.</summary>
    public const int Interrupted = 130;

    public static Command Create()
    {
        var cmd = new Command("train", "Train an agent (the default command). Flags override --config or the defaults.");
        Configure(cmd);
        return cmd;
    }

    /// <summary>
    /// <c>--threads</c>: <see cref="CpuThreads.Max"/> for this process. A runtime setting, not part of the run's config:
    /// results can differ in the last bits between thread counts (per-thread partial sums of some weight gradients).
    /// </summary>
    public static Option<long?> ThreadsOption() =>
        OptionFactory.Integer("--threads", "CPU threads for the tensor kernels [default: all cores]. Idle kernel threads " +
                              "spin ~0.2 ms between kernels, so runs sharing a machine should split the cores.", 1, 1024);

    /// <summary>Adds the train options and action to <paramref name="command"/> (the root gets them too).</summary>
    public static void Configure(Command command)
    {
        var options = new TrainOptions();
        options.AddTo(command);
        var progress = OptionFactory.Choice("--progress", "Progress display: a live bar on a terminal, plain lines otherwise.",
                                            ["auto", "rich", "plain"], "auto");
        command.Options.Add(progress);
        var threads = ThreadsOption();
        command.Options.Add(threads);
        var printConfig = new Option<bool>("--print-config")
        {
            Description = "Print the run's resolved config.json (every value in force: preset, budget, encoder, stack, " +
                          "protocol) and exit without training; needs no ROM or ALE. Reusable with --config.",
        };
        command.Options.Add(printConfig);
        command.SetAction((pr, ct) =>
        {
            if (pr.GetValue(threads) is long n) CpuThreads.Max = (int)n;
            var (config, resume) = options.Resolve(pr);
            var errors = config.Validate();
            if (errors.Count > 0)
            {
                foreach (string e in errors) pr.InvocationConfiguration.Error.WriteLine($"error: {e}");
                return Task.FromResult(CliApp.UsageError);
            }
            if (pr.GetValue(printConfig))
            {
                pr.InvocationConfiguration.Output.WriteLine(JsonConfig.Serialize(TrainSetup.Preview(config, resume is not null)));
                return Task.FromResult(0);
            }
            TrainOutcome outcome = TrainRun.Run(config, resume, pr.GetValue(progress) ?? "auto", pr.InvocationConfiguration.Output, ct);
            return Task.FromResult(outcome.Result.Reason == StopReason.Cancelled ? Interrupted : 0);
        });
    }
}
