using MoeScratch.Benchmarks.Quick;
using BenchmarkDotNet.Running;

// quick mode (anchor-comparable one-line results, seconds per workload):
//   dotnet run -c Release --project benchmarks/MoeScratch.Benchmarks -- quick [--threads 2,1] [--only a,b] [--list]
// BenchmarkDotNet suites (everything else):
//   dotnet run -c Release --project benchmarks/MoeScratch.Benchmarks -- --filter '*'
if (args.Length > 0 && args[0] == "quick") return QuickRunner.Run(args[1..]);
if (args.Length > 0 && args[0] == "profile") return ProfileRunner.Run(args[1..]);

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
