using BenchmarkDotNet.Running;
using Weft.Bench;

// "scale": Stopwatch timings of the translator at scale (quick, for profiling); "fanout": discovery fan-out through a
// real control plane; anything else goes to BenchmarkDotNet (e.g. --filter '*' --job short).
return args.FirstOrDefault() switch
{
    "scale" => ScaleTimings.Run(),
    "fanout" => await FanOutBenchmark.RunAsync(args[1..]).ConfigureAwait(false),
    _ => RunBenchmarks(args),
};

static int RunBenchmarks(string[] args)
{
    BenchmarkSwitcher.FromAssembly(typeof(RouteTableBenchmarks).Assembly).Run(args);
    return 0;
}
