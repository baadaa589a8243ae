using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(Weft.Bench.RouteTableBenchmarks).Assembly).Run(args);
