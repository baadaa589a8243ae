using System.Runtime.InteropServices;
using Weft.Proxy;

// weft-proxy: the sidecar; its command line is ProxyArguments (Usage), which `weft proxy` reads too.
if (!ProxyArguments.TryParse(args, out var options, out var error))
{
    await Console.Error.WriteLineAsync($"weft-proxy: {error}\n{ProxyArguments.Usage}");
    return 2;
}

// A sidecar gets a core or less: run socket completions on the epoll thread (Kestrel's UnsafePreferInlineScheduling and
// SocketsHttpHandler both follow this variable) instead of handing each read to the thread pool, which saves a context
// switch per read (measured: ~13% less CPU per proxied request, bench/onehop.py). Safe because the proxy's request path
// never blocks a thread. Read when the first socket is created, so it is set before anything starts; the environment
// still wins, so DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=0 turns it off.
const string InlineCompletions = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";
if (Environment.GetEnvironmentVariable(InlineCompletions) is null)
{
    Environment.SetEnvironmentVariable(InlineCompletions, "1");
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
