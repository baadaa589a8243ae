using Weft.KubeApi.StandIn;

// Usage: dotnet run -- [--port N] [--kubeconfig FILE] [--crds PATH]... [--service-cidr CIDR] [--no-tls]
// (weft up --kubeconfig sets its Services' ClusterIPs from its own block: give a --service-cidr that holds it, e.g. 127.0.0.0/8.)
// --port is accepted for symmetry with a real server, but the stand-in always takes a port from the OS; the chosen
// address is printed and written into the kubeconfig.
var kubeconfig = Path.Combine(Environment.CurrentDirectory, "kubeconfig");
var crds = new List<string>();
var tls = true;
var serviceCidr = new KubeApiServerOptions().ServiceCidr;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--kubeconfig" when i + 1 < args.Length:
            kubeconfig = args[++i];
            break;
        case "--crds" when i + 1 < args.Length:
            crds.Add(args[++i]);
            break;
        case "--service-cidr" when i + 1 < args.Length:
            serviceCidr = args[++i];
            break;
        case "--port" when i + 1 < args.Length:
            i++;
            break;
        case "--no-tls":
            tls = false;
            break;
        default:
            Console.Error.WriteLine($"unknown argument: {args[i]}");
            return 2;
    }
}

await using var server = await KubeApiServer.StartAsync(new KubeApiServerOptions { Tls = tls, CrdPaths = crds, ServiceCidr = serviceCidr });
server.WriteKubeconfig(kubeconfig);
Console.WriteLine($"serving {server.Address}; kubeconfig {kubeconfig}; Ctrl-C to stop");
using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};
using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, context =>
{
    context.Cancel = true;
    stop.Cancel();
});
try
{
    await Task.Delay(Timeout.Infinite, stop.Token);
}
catch (OperationCanceledException)
{
}

return 0;
