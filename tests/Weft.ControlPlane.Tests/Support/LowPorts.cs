namespace Weft.ControlPlane.Tests.Support;

/// <summary>
/// A server started on a port below the kernel's ephemeral range (32768 and up by default), found by trying, for a test
/// that stops it and starts it again on the same port: a port the OS picked (port 0) may be handed meanwhile to another
/// test's socket (every outgoing connection of every test project takes one from that range), and the start again then
/// fails on a port in use, the test's fault, not the control plane's.
/// </summary>
internal static class LowPorts
{
    public static async Task<T> StartAsync<T>(Func<int, Task<T>> start)
    {
        for (var attempt = 0; ; attempt++)
        {
            var port = Random.Shared.Next(20000, 32000);
            try
            {
                return await start(port);
            }
            catch (Exception e) when (attempt < 100 && (e is IOException || e.InnerException is IOException))
            {
                // taken: another one
            }
        }
    }
}
