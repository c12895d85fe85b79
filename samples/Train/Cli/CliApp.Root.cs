using System.CommandLine;
using MoeScratch.Train.Report;
using MoeScratch.Train.Sweep;
using MoeScratch.Train.Training;

namespace MoeScratch.Train.Cli;

public static partial class CliApp
{
    /// <summary>
    /// Builds the root command with <c>report</c> and <c>sweep</c>. Until the runner, agents and network builder are
    /// in main, the default action is the autodiff demo (the README's command must keep working); <c>train</c> and
    /// <c>eval</c> join when they land.
    /// </summary>
    public static RootCommand BuildRoot()
    {
        var root = new RootCommand("MoeScratch trainer CLI: `report` and `sweep`; with no command, the autodiff demo (train lands with the runner).");
        root.SetAction(pr =>
        {
            RegressionDemo.Run(pr.InvocationConfiguration.Output);
            return 0;
        });
        root.Subcommands.Add(ReportCommand.Create());
        root.Subcommands.Add(SweepCommand.Create());
        return root;
    }
}
