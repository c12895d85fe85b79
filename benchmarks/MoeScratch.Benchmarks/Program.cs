using MoeScratch.Benchmarks.Quick;
using BenchmarkDotNet.Running;

// quick mode (anchor-comparable one-line results, seconds per workload):
//   dotnet run -c Release --project benchmarks/MoeScratch.Benchmarks -- quick [--threads 2,1] [--only a,b] [--list]
//       [--backend cpu|cuda|cuda:N|cpu-accelerator] [--smoke]
// GPU kernel check against the CPU backend (Tensor.Gpu/README.md):
//   dotnet run -c Release --project benchmarks/MoeScratch.Benchmarks -- gpu-selftest [--backend cuda] [--small]
// On a GPU machine without the SDK, the same through the bundle: .gpu-bundle/run MoeScratch.Benchmarks <args>.
// BenchmarkDotNet suites (everything else):
//   dotnet run -c Release --project benchmarks/MoeScratch.Benchmarks -- --filter '*'
if (args.Length > 0 && args[0] == "quick") return QuickRunner.Run(args[1..]);
if (args.Length > 0 && args[0] == "profile") return ProfileRunner.Run(args[1..]);
if (args.Length > 0 && args[0] == "gpu-selftest") return GpuSelfTestCommand.Run(args[1..]);

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
