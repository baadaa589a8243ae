using System.Net.Sockets;

namespace Weft.Tests.Shared;

/// <summary>
/// A server started on a port below the kernel's ephemeral range (32768 and up by default), found by trying, for a test
/// that stops it and starts it again on the same port: a port the OS picked (port 0) may be handed meanwhile to another
/// test's socket (every outgoing connection of every test project takes one from that range), and the start again then
/// fails on a port in use, the test's fault, not the server's. Linked into each test project that needs it
/// (<c>&lt;Compile Include="../Shared/LowPorts.cs" /&gt;</c>).
/// </summary>
internal static class LowPorts
{
    private const int Attempts = 100;

    public static T Start<T>(Func<int, T> start)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return start(Pick());
            }
            catch (Exception e) when (attempt < Attempts && InUse(e))
            {
                // taken: another one
            }
        }
    }

    public static async Task<T> StartAsync<T>(Func<int, Task<T>> start)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await start(Pick());
            }
            catch (Exception e) when (attempt < Attempts && InUse(e))
            {
                // taken: another one
            }
        }
    }

    private static int Pick() => Random.Shared.Next(20000, 32000);

    /// <summary>Whether the bind failed on an address in use, however the server wrapped the socket's error.</summary>
    private static bool InUse(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse })
            {
                return true;
            }
        }

        return false;
    }
}
