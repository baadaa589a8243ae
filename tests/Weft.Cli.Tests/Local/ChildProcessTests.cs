using Weft.Cli.Local;

namespace Weft.Cli.Tests.Local;

/// <summary>A container's process as others read it: a pod's container states are read while its supervisor restarts it.</summary>
public sealed class ChildProcessTests : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("weft-child-").FullName;

    public void Dispose() => Directory.Delete(_work, recursive: true);

    [Fact]
    public async Task A_disposed_child_reads_as_exited_with_its_exit_code_not_as_an_error()
    {
        var child = ChildProcess.Start("app", new ContainerCommand("sh", ["-c", "exit 3"]), new Dictionary<string, string?>(), Path.Combine(_work, "app.log"));
        await child.Exited.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(3, child.ExitCode);

        await child.DisposeAsync(); // as LocalPod's supervisor does before it starts the container again

        Assert.True(child.HasExited);
        Assert.Equal(3, child.ExitCode);
    }
}
