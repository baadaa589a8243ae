namespace Weft.Echo.Tests;

public sealed class RunTests
{
    [Fact]
    public async Task Bad_arguments_exit_with_2()
    {
        Assert.Equal(2, await EchoServer.RunAsync(["--port=nope"], CancellationToken.None));
    }

    [Fact]
    public async Task Cancellation_stops_cleanly_with_0()
    {
        using var stop = new CancellationTokenSource();
        var run = EchoServer.RunAsync(["--bind=127.0.0.1", "--port=0", "--grpc=0", "--tcp=0"], stop.Token);
        await stop.CancelAsync();

        Assert.Equal(0, await run.WaitAsync(TimeSpan.FromSeconds(30)));
    }
}
