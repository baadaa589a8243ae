using System.Diagnostics;
using System.Threading.Channels;

using Weft.Cli.Tests.Infrastructure;

namespace Weft.Cli.Tests.Capture;

/// <summary>
/// A TCP listener inside a test namespace (a small python3 child started with <c>ip netns exec</c>) that stands in for
/// the sidecar or a remote server: it accepts, reports the connection's local address and its SO_ORIGINAL_DST (what the
/// sidecar would recover; "-" when the connection was not NATed), and closes. One line per connection, read here.
/// </summary>
internal sealed class OriginalDestinationListener : IAsyncDisposable
{
    private const string Script = """
        import selectors, socket, struct, sys
        SO_ORIGINAL_DST = 80
        selector = selectors.DefaultSelector()
        for spec in sys.argv[1:]:
            host, port = spec.rsplit(':', 1)
            listener = socket.socket()
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind((host, int(port)))
            listener.listen(16)
            selector.register(listener, selectors.EVENT_READ)
        print('listening', flush=True)
        while True:
            for key, _ in selector.select():
                connection, _ = key.fileobj.accept()
                host, port = connection.getsockname()
                try:
                    raw = connection.getsockopt(socket.SOL_IP, SO_ORIGINAL_DST, 16)
                    original = '%s:%d' % (socket.inet_ntoa(raw[4:8]), struct.unpack('!H', raw[2:4])[0])
                except OSError:
                    original = '-'
                print('accepted %s:%d original %s' % (host, port, original), flush=True)
                connection.close()
        """;

    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20); // a correctness deadline: python starting in a namespace on a loaded machine

    private readonly Process _process;
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();
    private readonly List<string> _seen = [];

    private OriginalDestinationListener(Process process) => _process = process;

    /// <summary>Every line read so far, those still buffered included.</summary>
    public IReadOnlyList<string> Lines
    {
        get
        {
            while (_lines.Reader.TryRead(out var line))
            {
                _seen.Add(line);
            }

            return _seen;
        }
    }

    /// <summary>Starts listening on each <c>host:port</c> inside the namespace; returns once it is listening.</summary>
    public static async Task<OriginalDestinationListener> StartAsync(TestNetworkNamespace network, params string[] endpoints)
    {
        var info = new ProcessStartInfo(CommandRun.Which("ip")) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in (string[])["netns", "exec", network.Name, Python, "-c", Script, .. endpoints])
        {
            info.ArgumentList.Add(argument);
        }

        var process = Process.Start(info)!;
        var listener = new OriginalDestinationListener(process);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                listener._lines.Writer.TryWrite(line);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                listener._lines.Writer.TryWrite($"stderr: {line}");
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await listener.WaitForLineAsync(l => l == "listening");
        return listener;
    }

    /// <summary>Waits, up to a deadline, for the line reporting a connection accepted on <paramref name="local"/>.</summary>
    public Task<string> WaitForAcceptAsync(string local) => WaitForLineAsync(l => l.StartsWith($"accepted {local} ", StringComparison.Ordinal));

    public async ValueTask DisposeAsync()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        _process.Dispose();
    }

    private async Task<string> WaitForLineAsync(Func<string, bool> match)
    {
        using var deadline = new CancellationTokenSource(Deadline);
        try
        {
            while (true)
            {
                var line = await _lines.Reader.ReadAsync(deadline.Token);
                _seen.Add(line);
                if (match(line))
                {
                    return line;
                }
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"no such line within {Deadline}; the listener printed: {string.Join(" | ", _seen)}{(_process.HasExited ? $" (exited {_process.ExitCode})" : "")}");
        }
    }

    /// <summary>Debian's python3 (a pyenv shim on PATH would start a shell and pyenv first).</summary>
    public static string Python => File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : CommandRun.Which("python3");
}
