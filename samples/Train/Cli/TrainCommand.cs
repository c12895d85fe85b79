using System.CommandLine;
using MoeScratch.Rl.Running;
using MoeScratch.Tensors.Cpu;
using MoeScratch.Train.Config;
using MoeScratch.Train.Training;

namespace MoeScratch.Train.Cli;

/// <summary>
/// <c>train</c> (also the root command's default): resolve the config, train with live progress, checkpoint, and
/// end with the learning curve and the summary. Ctrl-C (SIGTERM) checkpoints at the next episode boundary and exits
/// with 130 (143); the exit codes are those of <see cref="ExitCodes"/>.
/// </summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var cmd = new Command("train", "Train an agent (the default command). Flags override --config or the defaults. " + ExitCodes.HelpText);
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
            RunRequest request = options.Resolve(pr);
            var errors = request.Config.Validate();
            if (errors.Count > 0)
            {
                foreach (string e in errors) pr.InvocationConfiguration.Error.WriteLine($"error: {e}");
                return Task.FromResult(ExitCodes.BadInput);
            }
            if (pr.GetValue(printConfig))
            {
                pr.InvocationConfiguration.Output.WriteLine(JsonConfig.Serialize(TrainSetup.Preview(request.Config, request.Mode == RunMode.Resume)));
                return Task.FromResult(ExitCodes.Success);
            }
            TrainOutcome outcome = TrainRun.Run(request, pr.GetValue(progress) ?? "auto", pr.InvocationConfiguration.Output, ct);
            return Task.FromResult(outcome.Result.Reason == StopReason.Cancelled ? ExitCodes.Interrupted : ExitCodes.Success);
        });
    }
}
