// MoeScratch trainer CLI: `train` (default), `eval`, `report`, `sweep`. See Cli/CliApp.cs.
using MoeScratch.Train.Cli;

return await CliApp.RunAsync(args).ConfigureAwait(false);
