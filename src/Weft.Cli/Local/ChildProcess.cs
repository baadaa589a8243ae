using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Weft.Cli.Local;

/// <summary>
/// One child process of the local cluster (a sidecar or an app): started with its environment, its output appended to a
/// log file (the last lines kept for error messages), stopped with SIGTERM and, after a grace period, by killing its whole
/// process tree. Children also get <c>WEFT_PARENT_PID</c> so that weft children exit when this process dies.
/// </summary>
internal sealed partial class ChildProcess : IAsyncDisposable
{
    private const int TailLines = 20;
    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly Queue<string> _tail = new();
    private readonly Lock _gate = new();
    private bool _disposed;
    private int? _exitCode;

    private ChildProcess(string name, Process process, StreamWriter log, string logPath)
    {
        Name = name;
        _process = process;
        _log = log;
        LogPath = logPath;
    }

    public string Name { get; }

    public string LogPath { get; }

    public int Id => _process.Id;

    /// <summary>
    /// Whether the process has exited; true once this child is disposed (it was stopped first). Read from other threads
    /// (a pod's container states) while its supervisor disposes it, so a disposed <see cref="Process"/> is not asked.
    /// </summary>
    public bool HasExited => State().Exited;

    /// <summary>The exit code once the process has exited (kept after disposal); null while it runs.</summary>
    public int? ExitCode => State().Code;

    /// <summary>Completes when the process exits.</summary>
    public Task Exited => _process.WaitForExitAsync();

    public static ChildProcess Start(string name, ContainerCommand command, IReadOnlyDictionary<string, string?> environment, string logPath)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(environment);
        Directory.CreateDirectory(Path.GetDirectoryName(logPath)!);
        var log = new StreamWriter(new FileStream(logPath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
        log.WriteLine($"--- {DateTimeOffset.Now:O} starting: {command.Display}");
        var info = new ProcessStartInfo(command.FileName)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            WorkingDirectory = Environment.CurrentDirectory,
        };
        foreach (var argument in command.Arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        info.Environment["WEFT_PARENT_PID"] = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var child = new ChildProcess(name, process, log, logPath);
        process.OutputDataReceived += (_, e) => child.Append(e.Data);
        process.ErrorDataReceived += (_, e) => child.Append(e.Data);
        try
        {
            process.Start();
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            log.WriteLine($"cannot start: {e.Message}");
            log.Dispose();
            process.Dispose();
            throw new InvalidOperationException($"cannot start {command.FileName}: {e.Message}", e);
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>The last lines the process wrote.</summary>
    public IReadOnlyList<string> Tail()
    {
        lock (_gate)
        {
            return [.. _tail];
        }
    }

    /// <summary>How long a stop waits, after the kill, for the process to be reaped and its output to end.</summary>
    private static readonly TimeSpan KillWait = TimeSpan.FromSeconds(5);

    /// <summary>SIGTERM, then after <paramref name="grace"/> kill the whole process tree.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        using var timeout = new CancellationTokenSource(grace);
        await StopAsync(timeout.Token);
    }

    /// <summary>
    /// SIGTERM, then when <paramref name="kill"/> is cancelled, if the process has not exited, kill its whole process
    /// tree; a token cancelled already kills at once, with no SIGTERM (grace period 0).
    /// </summary>
    public async Task StopAsync(CancellationToken kill)
    {
        try
        {
            if (_process.HasExited)
            {
                return;
            }

            if (!OperatingSystem.IsWindows() && !kill.IsCancellationRequested)
            {
                Terminate(_process.Id);
            }

            try
            {
                await _process.WaitForExitAsync(kill);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);

                // Bounded: WaitForExitAsync also waits for the end of the redirected output, which a grandchild the app left
                // behind (re-parented, out of the tree's reach) can hold open for ever; the stop must not.
                using var reaped = new CancellationTokenSource(KillWait);
                try
                {
                    await _process.WaitForExitAsync(reaped.Token);
                }
                catch (OperationCanceledException)
                {
                }
            }
        }
        catch (InvalidOperationException)
        {
            // Never started or already reaped.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.FromSeconds(3));
        lock (_gate)
        {
            _log.Dispose();
        }

        _exitCode = ExitCode;
        Volatile.Write(ref _disposed, true);
        _process.Dispose();
    }

    /// <summary><see cref="HasExited"/> and <see cref="ExitCode"/> read together, so that the two agree.</summary>
    public (bool Exited, int? Code) State()
    {
        if (Volatile.Read(ref _disposed))
        {
            return (true, _exitCode);
        }

        try
        {
            return _process.HasExited ? (true, _process.ExitCode) : (false, null);
        }
        catch (InvalidOperationException)
        {
            return (true, _exitCode); // disposed since the look above (its exit code was kept before)
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_gate)
        {
            try
            {
                _log.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
            }

            _tail.Enqueue(line);
            while (_tail.Count > TailLines)
            {
                _tail.Dequeue();
            }
        }
    }

    private const int SigTerm = 15;

    /// <summary>SIGTERM to process <paramref name="pid"/> (a graceful stop request; nothing if it is gone).</summary>
    public static void Terminate(int pid) => _ = Kill(pid, SigTerm);

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
