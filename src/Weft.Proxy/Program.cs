using System.Runtime.InteropServices;
using Weft.Proxy;

// weft-proxy: the sidecar; its command line is ProxyArguments (Usage), which `weft proxy` reads too.
if (!ProxyArguments.TryParse(args, out var options, out var error))
{
    await Console.Error.WriteLineAsync($"weft-proxy: {error}\n{ProxyArguments.Usage}");
    return 2;
}

// Socket completions run on the epoll thread, not a thread-pool worker per read (measured: ~13% less CPU per proxied
// request at full load, bench/onehop.py; a context switch less per read at low load).
InlineCompletions.PreferUnlessSet();

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
