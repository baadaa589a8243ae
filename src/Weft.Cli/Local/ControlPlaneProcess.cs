using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Weft.Cli.Local;

/// <summary>
/// The control plane as a child process of <c>weft up</c> (<c>weft up --control-plane process</c>, the hidden verb
/// <c>weft control-plane</c>), on one address for its whole life: started, and restarted with back-off whenever it
/// exits, as a Deployment's pod would be. Its state directory keeps the mesh root, the workload token key and the
/// serving certificate's root across restarts, so sidecars reconnect to the same address, still trust it, and their
/// tokens still verify. Each exit and restart is a line on the progress output.
/// </summary>
internal sealed class ControlPlaneProcess : IAsyncDisposable
{
    public const string Name = "control-plane";

    /// <summary>The first restart's delay; doubled per restart, up to <see cref="MaxBackoff"/>, and back to this after <see cref="Healthy"/> of running.</summary>
    public static readonly TimeSpan FirstBackoff = TimeSpan.FromMilliseconds(200);

    public static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(5);

    public static readonly TimeSpan Healthy = TimeSpan.FromSeconds(30);

    /// <summary>How long a start may take to accept connections on its port.</summary>
    public static readonly TimeSpan StartDeadline = TimeSpan.FromSeconds(60);

    private readonly ContainerCommand _command;
    private readonly IPEndPoint _endpoint;
    private readonly string _logPath;
    private readonly TextWriter? _progress;
    private readonly CancellationTokenSource _stop = new();
    private ChildProcess _current = null!;
    private Task _supervising = Task.CompletedTask;
    private int _restarts;

    private ControlPlaneProcess(ContainerCommand command, IPEndPoint endpoint, string logPath, TextWriter? progress)
    {
        _command = command;
        _endpoint = endpoint;
        _logPath = logPath;
        _progress = progress;
        Address = new Uri($"https://{endpoint}");
    }

    /// <summary>Where it serves, the same across restarts: <c>https://ADDRESS:PORT</c>.</summary>
    public Uri Address { get; }

    /// <summary>The running child's process id (a new one after each restart).</summary>
    public int Pid => Volatile.Read(ref _current).Id;

    /// <summary>How many times it was restarted after an exit.</summary>
    public int Restarts => Volatile.Read(ref _restarts);

    /// <summary>
    /// Starts <c>weft control-plane ARGUMENTS --listen ADDRESS --port PORT</c> on a port free now on
    /// <paramref name="listen"/>, and returns once it accepts connections; throws with its last lines if it exits first.
    /// </summary>
    public static async Task<ControlPlaneProcess> StartAsync(WeftLauncher weft, IReadOnlyList<string> arguments, IPAddress listen, string logPath, TextWriter? progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(weft);
        var endpoint = new IPEndPoint(listen, FreePort(listen));
        var command = weft.Command([Name, .. arguments, "--listen", listen.ToString(), "--port", endpoint.Port.ToString(CultureInfo.InvariantCulture)]);
        var supervisor = new ControlPlaneProcess(command, endpoint, logPath, progress);
        var first = await supervisor.StartOneAsync(ct);
        if (first.HasExited)
        {
            var tail = string.Join('\n', first.Tail());
            await first.DisposeAsync();
            throw new InvalidOperationException($"the control plane exited with code {first.ExitCode} before serving (log {logPath}): {tail}");
        }

        supervisor._current = first;
        supervisor._supervising = supervisor.SuperviseAsync(supervisor._stop.Token);
        return supervisor;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _supervising;
        await Volatile.Read(ref _current).DisposeAsync();
        _stop.Dispose();
    }

    private async Task SuperviseAsync(CancellationToken ct)
    {
        var backoff = FirstBackoff;
        var startedAt = DateTimeOffset.UtcNow;
        while (!ct.IsCancellationRequested)
        {
            var child = Volatile.Read(ref _current);
            try
            {
                await child.Exited.WaitAsync(ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            backoff = DateTimeOffset.UtcNow - startedAt >= Healthy ? FirstBackoff : backoff;
            _progress?.WriteLine($"control plane (pid {child.Id}) exited with code {child.ExitCode}; restarting it in {backoff.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture)}s (log {child.LogPath})");
            await child.DisposeAsync();
            try
            {
                await Task.Delay(backoff, ct);
                var next = await StartOneAsync(ct);
                startedAt = DateTimeOffset.UtcNow;
                Volatile.Write(ref _current, next);
                if (!next.HasExited)
                {
                    Interlocked.Increment(ref _restarts);
                    _progress?.WriteLine($"control plane restarted (pid {next.Id}), serving at {Address.ToString().TrimEnd('/')}");
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (InvalidOperationException e)
            {
                // Could not even be started (the binary gone?): nothing to supervise any more, and weft up says so.
                _progress?.WriteLine($"error: control plane not restarted: {e.Message}");
                return;
            }

            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
        }
    }

    /// <summary>A new child, returned once its port accepts a connection, or once it has exited, or after <see cref="StartDeadline"/>.</summary>
    private async Task<ChildProcess> StartOneAsync(CancellationToken ct)
    {
        var child = ChildProcess.Start(Name, _command, new Dictionary<string, string?>(), _logPath);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(StartDeadline);
        while (!child.HasExited && !deadline.IsCancellationRequested)
        {
            try
            {
                using var probe = new Socket(_endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                await probe.ConnectAsync(_endpoint, deadline.Token);
                return child;
            }
            catch (SocketException)
            {
                try
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(50), deadline.Token);
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                }
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
            }
        }

        if (ct.IsCancellationRequested)
        {
            await child.DisposeAsync();
            ct.ThrowIfCancellationRequested();
        }

        return child;
    }

    private static int FreePort(IPAddress address)
    {
        using var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(address, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
