using System.Runtime.InteropServices;
using Weft.Echo;

// The echo workload as its own process: `Weft.Echo --port=8080 --grpc=7070 ...` (upstream echo app flags).
using var stop = new CancellationTokenSource();
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
return await EchoServer.RunAsync(args, stop.Token);

void Stop(PosixSignalContext context)
{
    // Stop cleanly instead of letting the runtime terminate the process.
    context.Cancel = true;
    stop.Cancel();
}
