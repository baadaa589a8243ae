using System.Runtime.InteropServices;
using Weft.Proxy;

// weft-proxy --pod NS/NAME --pod-ip IP --service-account SA --control-plane URL
//            [--outbound-port 15001] [--inbound-port 15006] [--admin-port 15000]
if (!ProxyArguments.TryParse(args, out var options, out var error))
{
    await Console.Error.WriteLineAsync($"weft-proxy: {error}\n{ProxyArguments.Usage}");
    return 2;
}

using var stop = new CancellationTokenSource();
void Stop(PosixSignalContext context)
{
    context.Cancel = true; // stop gracefully: close listeners, finish in-flight requests
    stop.Cancel();
}

using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
await ProxyHost.RunAsync(options, stop.Token);
return 0;
