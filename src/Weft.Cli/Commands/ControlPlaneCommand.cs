using System.CommandLine;
using System.Net;
using Microsoft.Extensions.Logging;
using Weft.Cli.Local;
using Weft.ControlPlane;

namespace Weft.Cli.Commands;

/// <summary>
/// <c>weft control-plane DIR --state-dir DIR --cluster-file FILE --listen ADDRESS --port PORT …</c> (hidden): the local
/// mode's control plane as a process of its own, which <c>weft up --control-plane process</c> starts and restarts
/// (<see cref="ControlPlaneProcess"/>). It watches the manifests directory, reads the pods, EndpointSlices and ClusterIPs
/// weft up records from the cluster file (<see cref="ClusterMirror"/>), and keeps its mesh root and token key in the state
/// directory, which weft up shares.
/// </summary>
internal static class ControlPlaneCommand
{
    public static Command Create()
    {
        var directory = new Argument<string>("DIR") { Description = "The manifests directory (watched)" };
        var stateDirectory = new Option<string>("--state-dir") { Description = "Where the mesh root, token key and admin credential are kept", Required = true };
        var clusterFile = new Option<string>("--cluster-file") { Description = "The pods, EndpointSlices and Services weft up records", Required = true };
        var listen = new Option<string>("--listen") { Description = "The IP address to serve discovery on", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = "The port to serve discovery on", Required = true };
        var caCert = new Option<string?>("--ca-cert") { Description = "A mesh root CA certificate (PEM) instead of the one in the state directory" };
        var caKey = new Option<string?>("--ca-key") { Description = "The private key (PEM) of --ca-cert" };
        var workloadCertLifetime = new Option<int>("--workload-cert-lifetime")
        {
            Description = "Seconds an issued workload certificate is valid",
            DefaultValueFactory = _ => (int)new Weft.ControlPlane.Identity.CaOptions().WorkloadLifetime.TotalSeconds,
        };
        var defaultInbound = DefaultInboundOption.Create();
        var defaultOutbound = DefaultOutboundOption.Create();
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Log at Information level" };
        var command = new Command("control-plane", "The local mesh's control plane as a process of its own (started by weft up --control-plane process)")
        {
            directory, stateDirectory, clusterFile, listen, port, caCert, caKey, workloadCertLifetime, defaultInbound, defaultOutbound, verbose,
        };
        command.Hidden = true;
        command.SetAction(async (result, ct) =>
        {
            if (!IPAddress.TryParse(result.GetValue(listen), out _))
            {
                await Console.Error.WriteLineAsync($"weft control-plane: --listen '{result.GetValue(listen)}' is not an IP address");
                return 2;
            }

            using var loggerFactory = LoggerFactory.Create(logging => logging
                .AddSimpleConsole(console =>
                {
                    console.SingleLine = true;
                    console.TimestampFormat = "HH:mm:ss ";
                })
                .SetMinimumLevel(result.GetValue(verbose) ? LogLevel.Information : LogLevel.Warning));
            var ca = result.GetValue(caCert) is { } cert
                ? new Weft.ControlPlane.Identity.CaOptions { RootCertPath = Path.GetFullPath(cert), RootKeyPath = Path.GetFullPath(result.GetValue(caKey)!) }
                : new Weft.ControlPlane.Identity.CaOptions();
            var clusterPath = Path.GetFullPath(result.GetValue(clusterFile)!);
            await using var host = await ControlPlaneHost.StartAsync(
                new ControlPlaneOptions
                {
                    ManifestDirectory = Path.GetFullPath(result.GetValue(directory)!),
                    IgnoredFileNames = ImageMap.NotManifests,
                    ListenAddress = result.GetValue(listen)!,
                    Port = result.GetValue(port),
                    StateDirectory = Path.GetFullPath(result.GetValue(stateDirectory)!),
                    Ca = ca with { WorkloadLifetime = TimeSpan.FromSeconds(result.GetValue(workloadCertLifetime)) },
                    DefaultInboundPolicy = Weft.Routing.Authorization.DefaultInboundPolicies.Parse(result.GetValue(defaultInbound))!, // checked by the option
                    DefaultOutboundPolicy = Weft.Routing.OutboundPolicies.Parse(result.GetValue(defaultOutbound))!, // checked by the option
                    LoggerFactory = loggerFactory,
                    MoreSources = store => ClusterMirrorSource.Start(store, clusterPath, Console.Error),
                },
                ct);
            Console.WriteLine($"control plane at {host.Address.ToString().TrimEnd('/')} (pid {Environment.ProcessId})");
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            catch (OperationCanceledException)
            {
            }

            return 0;
        });
        return command;
    }
}
