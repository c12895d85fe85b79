using System.CommandLine;
using MoeScratch.Train.Report;
using MoeScratch.Train.Sweep;

namespace MoeScratch.Train.Cli;

public static partial class CliApp
{
    /// <summary>Builds the root command with <c>train</c> (also the default), <c>eval</c>, <c>report</c>, <c>sweep</c>.</summary>
    public static RootCommand BuildRoot()
    {
        var root = new RootCommand("MoeScratch trainer: Mixture-of-Experts DQN agents on MinAtar and Atari. With no command, runs `train`. " + ExitCodes.HelpText);
        TrainCommand.Configure(root);
        root.Subcommands.Add(TrainCommand.Create());
        root.Subcommands.Add(EvalCommand.Create());
        root.Subcommands.Add(ReportCommand.Create());
        root.Subcommands.Add(SweepCommand.Create());
        return root;
    }
}
