using System.CommandLine;
using System.Net;
using Weft.Cli.Dashboard;
using Weft.Cli.Local;

namespace Weft.Cli.Commands;

/// <summary>
/// <c>weft dashboard</c>: serves the running mesh's dashboard (service graph, per-route golden metrics, route status,
/// live tap; <see cref="DashboardServer"/>) on a loopback port and prints the URL to open, until interrupted.
/// </summary>
internal static class DashboardCommand
{
    public static Command Create()
    {
        var address = new Option<string>("--address") { Description = "The loopback address to listen on", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = "The port to listen on (0: a free one)", DefaultValueFactory = _ => 50750 };
        var access = new ControlPlaneAccessOptions();
        var command = new Command("dashboard", "Serve the mesh's dashboard (service graph, route metrics and status, live tap) on a loopback port")
        {
            address, port,
        };
        access.AddTo(command);
        command.SetAction(async (result, ct) =>
        {
            if (!IPAddress.TryParse(result.GetValue(address), out var ip) || !IPAddress.IsLoopback(ip) || result.GetValue(port) is < 0 or > 65535)
            {
                Console.Error.WriteLine($"weft dashboard: --address must be a loopback address and --port 0 to 65535 (the page shows the mesh's traffic: it stays on this machine)");
                return 2;
            }

            if (await ControlPlaneAdmin.FindAsync("dashboard", access.Read(result), Console.Error, ct) is not { } admin)
            {
                return 1;
            }

            DashboardServer server;
            try
            {
                server = await DashboardServer.StartAsync(new IPEndPoint(ip, result.GetValue(port)), admin, ct);
            }
            catch (IOException e)
            {
                Console.Error.WriteLine($"weft dashboard: cannot listen on {ip}:{result.GetValue(port)}: {e.Message} (try --port 0)");
                return 1;
            }

            await using (server)
            {
                Console.WriteLine($"dashboard: {server.Url}   (Ctrl-C stops)");
                try
                {
                    await Task.Delay(Timeout.Infinite, ct);
                }
                catch (OperationCanceledException)
                {
                }
            }

            return 0;
        });
        return command;
    }
}
