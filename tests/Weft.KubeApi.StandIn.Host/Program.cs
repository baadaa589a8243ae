using System.Net;
using Weft.KubeApi.StandIn;

// Usage: dotnet run -- [--port N] [--kubeconfig FILE] [--crds PATH]... [--service-cidr CIDR] [--no-tls]
//                      [--webhook-service NS/NAME:PORT=ADDRESS:PORT]...
// (--webhook-service: where a webhook configuration's Service is reached, as kube-proxy would route it, e.g.
// weft-system/weft-controller:443=127.0.0.1:8090.)
// (weft up --kubeconfig sets its Services' ClusterIPs from its own block: give a --service-cidr that holds it,
// 198.18.0.0/15 in network namespaces (its default --netns-range), 127.0.0.0/8 with --isolation process.)
// --port is accepted for symmetry with a real server, but the stand-in always takes a port from the OS; the chosen
// address is printed and written into the kubeconfig.
var kubeconfig = Path.Combine(Environment.CurrentDirectory, "kubeconfig");
var crds = new List<string>();
var tls = true;
var serviceCidr = new KubeApiServerOptions().ServiceCidr;
var webhookServices = new Dictionary<string, IPEndPoint>(StringComparer.Ordinal);
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
        case "--webhook-service" when i + 1 < args.Length && args[i + 1].Split('=') is [var service, var target] && IPEndPoint.TryParse(target, out var endpoint):
            webhookServices[service] = endpoint;
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

await using var server = await KubeApiServer.StartAsync(new KubeApiServerOptions { Tls = tls, CrdPaths = crds, ServiceCidr = serviceCidr, WebhookServiceAddresses = webhookServices });
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
