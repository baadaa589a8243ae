using BenchmarkDotNet.Running;
using Weft.Bench;
using Weft.Bench.Scale;

// "scale": Stopwatch timings of the translator at scale (quick, for profiling); "control-plane-scale": the control plane
// at scale, measured as it runs (issue 18; bench/scale.sh), with "control-plane-scale-server" its control-plane process
// and "control-plane-scale-subscribers" its proxies' processes;
// "kube-scale": Kubernetes mode at scale, the controller reading the API server stand-in (bench/kube-scale.sh);
// "model-update": what one change costs the translator at scale, in one process (the snapshot, the update, the watches);
// "h2-client": the sidecar's two HTTP/2 clients, Weft's own and SocketsHttpHandler, alone in a process (H2ClientBench);
// anything else goes to BenchmarkDotNet (e.g. --filter '*' --job short).
return args.FirstOrDefault() switch
{
    "scale" => ScaleTimings.Run(),
    "control-plane-scale" => await ScaleBenchmark.RunAsync(args[1..]).ConfigureAwait(false),
    "control-plane-scale-server" => await ScaleControlPlane.RunAsync(args[1..]).ConfigureAwait(false),
    "control-plane-scale-subscribers" => await SubscriberProcesses.ServeAsync(args[1..]).ConfigureAwait(false),
    "kube-scale" => await KubeScaleBenchmark.RunAsync(args[1..]).ConfigureAwait(false),
    "model-update" => ModelUpdateTimings.Run(args[1..]),
    "h2-client" => await H2ClientBench.RunAsync(args[1..]).ConfigureAwait(false),
    "h2-client-server" => await H2ClientBench.ServeAsync(args[1..]).ConfigureAwait(false),
    _ => RunBenchmarks(args),
};

static int RunBenchmarks(string[] args)
{
    BenchmarkSwitcher.FromAssembly(typeof(RouteTableBenchmarks).Assembly).Run(args);
    return 0;
}
