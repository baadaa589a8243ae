using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Weft.Cli.Local.Netns;

/// <summary>
/// A pod's network namespace (<c>/run/netns/NAME</c>) that this process can open sockets in, so that <c>weft curl</c>, the
/// conformance runner and the readiness probes connect as the pod's app does: from its address, through its capture rules.
/// setns(2) moves only the calling thread, and a socket stays in the namespace it was made in whichever thread uses it
/// later, so one dedicated thread enters the namespace once and makes the sockets; everything else is ordinary async I/O.
/// </summary>
internal sealed partial class NetworkNamespace : IDisposable
{
    private const int CloneNewNet = 0x40000000;

    private readonly BlockingCollection<(SocketType Type, ProtocolType Protocol, TaskCompletionSource<Socket> Socket)> _requests = [];
    private readonly Thread _thread;

    private NetworkNamespace(string name, SafeHandle handle)
    {
        Name = name;
        _thread = new Thread(() => Serve(handle)) { IsBackground = true, Name = $"netns {name}" };
        _thread.Start();
    }

    public string Name { get; }

    public static string PathOf(string name) => Path.Combine("/run", "netns", name);

    /// <summary>Opens the namespace <c>ip netns</c> knows as <paramref name="name"/>; throws when it does not exist.</summary>
    public static NetworkNamespace Open(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name.Contains('/', StringComparison.Ordinal) || name is "." or "..")
        {
            throw new ArgumentException($"'{name}' is not a network namespace name", nameof(name));
        }

        try
        {
            return new NetworkNamespace(name, File.OpenHandle(PathOf(name)));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException)
        {
            throw new NetworkSetupException($"network namespace {name}: {e.Message}", e);
        }
    }

    /// <summary>A new TCP socket in the namespace.</summary>
    public Task<Socket> CreateTcpSocketAsync() => CreateSocketAsync(SocketType.Stream, ProtocolType.Tcp);

    /// <summary>A new IPv4 socket in the namespace.</summary>
    public Task<Socket> CreateSocketAsync(SocketType type, ProtocolType protocol)
    {
        var request = new TaskCompletionSource<Socket>(TaskCreationOptions.RunContinuationsAsynchronously);
        try
        {
            _requests.Add((type, protocol, request));
        }
        catch (InvalidOperationException)
        {
            request.SetException(new ObjectDisposedException(nameof(NetworkNamespace)));
        }

        return request.Task;
    }

    /// <summary>A TCP connection from inside the namespace to <paramref name="endpoint"/>.</summary>
    public async Task<Socket> ConnectAsync(IPEndPoint endpoint, CancellationToken ct)
    {
        var socket = await CreateTcpSocketAsync();
        try
        {
            socket.NoDelay = true;
            await socket.ConnectAsync(endpoint, ct);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public void Dispose() => _requests.CompleteAdding();

    private void Serve(SafeHandle handle)
    {
        Exception? failure = null;
        using (handle)
        {
            if (SetNs((int)handle.DangerousGetHandle(), CloneNewNet) != 0)
            {
                failure = new NetworkSetupException($"cannot enter network namespace {Name}: errno {Marshal.GetLastPInvokeError()}");
            }
        }

        foreach (var (type, protocol, request) in _requests.GetConsumingEnumerable())
        {
            if (failure is not null)
            {
                request.SetException(failure);
                continue;
            }

            try
            {
                request.SetResult(new Socket(AddressFamily.InterNetwork, type, protocol));
            }
            catch (SocketException e)
            {
                request.SetException(e);
            }
        }

        _requests.Dispose();
    }

    [LibraryImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static partial int SetNs(int fd, int nstype);
}
