using BenchmarkDotNet.Running;

// BenchmarkDotNet suites: dotnet run -c Release --project benchmarks/MoeScratch.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
