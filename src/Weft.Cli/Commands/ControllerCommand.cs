using System.CommandLine;
using System.Globalization;
using k8s;
using k8s.Exceptions;
using Microsoft.Extensions.Logging;
using Weft.ControlPlane.Injection;
using Weft.ControlPlane.Kubernetes;

namespace Weft.Cli.Commands;

/// <summary>
/// <c>weft controller [--kubeconfig FILE] [--namespace NS] [--listen ADDR:PORT] …</c>: the control plane as a cluster
/// Deployment (<see cref="KubeController"/>). In a pod it reads its service account's credentials; outside one,
/// <c>--kubeconfig</c> (or <c>KUBECONFIG</c>, or <c>~/.kube/config</c>) says which cluster.
/// </summary>
internal static class ControllerCommand
{
    public static Command Create()
    {
        var kubeconfig = new Option<string?>("--kubeconfig") { Description = "A kubeconfig file (default: in-cluster credentials in a pod, else KUBECONFIG or ~/.kube/config)" };
        var context = new Option<string?>("--context") { Description = "The kubeconfig context to use (default: its current-context)" };
        var ns = new Option<string?>("--namespace") { Description = "Weft's namespace: the Lease, the mesh root Secret and the trust-bundle ConfigMap (default: the pod's namespace, else weft-system)" };
        var listen = new Option<string>("--listen") { Description = "Where discovery is served over TLS, ADDRESS:PORT", DefaultValueFactory = _ => "0.0.0.0:8090" };
        var controllerName = new Option<string>("--controller-name") { Description = "The controllerName of the status Weft writes and of the XMesh it accepts", DefaultValueFactory = _ => Weft.Routing.MeshModel.DefaultControllerName };
        var identity = new Option<string?>("--identity") { Description = "This replica's name in the leader Lease (default: POD_NAME, else the host name and process id)" };
        var audience = new Option<string>("--token-audience") { Description = "The audience of the sidecars' projected service-account tokens", DefaultValueFactory = _ => "weft" };
        var trustDomain = new Option<string>("--trust-domain") { Description = "The SPIFFE trust domain of workload identities", DefaultValueFactory = _ => "cluster.local" };
        var serverNames = new Option<string[]>("--serving-name") { Description = "Another DNS name or IP address for the discovery certificate (repeatable)", AllowMultipleArgumentsPerToken = true };
        var leaseDuration = new Option<double>("--lease-duration") { Description = "Seconds a leader's Lease lasts without renewal", DefaultValueFactory = _ => 15 };
        var readyFile = new Option<string?>("--ready-file") { Description = "Write the discovery address to this file once the cluster has been read" };
        var image = new Option<string>("--proxy-image") { Description = "The image of the injected init and sidecar containers", DefaultValueFactory = _ => WeftInstallation.Image(VersionCommand.Version) };
        var noInjector = new Option<bool>("--no-injector") { Description = "Serve no sidecar injector (no /inject endpoint, the webhook configuration's caBundle left alone)" };
        var defaultInbound = DefaultInboundOption.Create();
        var defaultOutbound = DefaultOutboundOption.Create();
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Log at Information level" };
        var command = new Command("controller", "Run the control plane against a Kubernetes API server: read the cluster, serve sidecars, write route status")
        {
            kubeconfig, context, ns, listen, controllerName, identity, audience, trustDomain, serverNames, leaseDuration, image, noInjector, readyFile, defaultInbound, defaultOutbound, verbose,
        };
        command.SetAction(async (result, ct) =>
        {
            if (!ClusterConfig.TryResolve(result.GetValue(kubeconfig), result.GetValue(context), "controller", out var config))
            {
                return 2;
            }

            if (!TrySplit(result.GetValue(listen)!, out var address, out var port))
            {
                await Console.Error.WriteLineAsync($"weft controller: --listen '{result.GetValue(listen)}' is not ADDRESS:PORT");
                return 2;
            }

            var lease = TimeSpan.FromSeconds(result.GetValue(leaseDuration));
            if (lease < TimeSpan.FromSeconds(1))
            {
                await Console.Error.WriteLineAsync("weft controller: --lease-duration must be at least 1 second");
                return 2;
            }

            var inboundDefault = Weft.Routing.Authorization.DefaultInboundPolicies.Parse(result.GetValue(defaultInbound))!; // checked by the option

            using var loggerFactory = LoggerFactory.Create(logging => logging
                .AddSimpleConsole(console =>
                {
                    console.SingleLine = true;
                    console.TimestampFormat = "HH:mm:ss ";
                })
                .SetMinimumLevel(result.GetValue(verbose) ? LogLevel.Information : LogLevel.Warning));
            using var client = new Kubernetes(config);
            var weftNamespace = result.GetValue(ns) ?? PodNamespace() ?? WeftInstallation.DefaultNamespace;
            var options = new KubeControllerOptions
            {
                Client = client,
                Namespace = weftNamespace,
                Injector = result.GetValue(noInjector) ? null
                    : InjectorOptions.ForCluster(weftNamespace, result.GetValue(image)!, VersionCommand.Version, Capture.CaptureOptions.Default.ToArguments()) with
                    {
                        TokenAudience = result.GetValue(audience)!,
                    },
                Identity = result.GetValue(identity) ?? Environment.GetEnvironmentVariable("POD_NAME") ?? $"{Environment.MachineName}-{Environment.ProcessId}",
                ControllerName = result.GetValue(controllerName)!,
                TokenAudience = result.GetValue(audience)!,
                TrustDomain = result.GetValue(trustDomain)!,
                DefaultInboundPolicy = inboundDefault,
                DefaultOutboundPolicy = Weft.Routing.OutboundPolicies.Parse(result.GetValue(defaultOutbound))!, // checked by the option
                ListenAddress = address,
                Port = port,
                ExtraServingNames = result.GetValue(serverNames) ?? [],
                LeaseDuration = lease,
                RenewDeadline = lease * 2 / 3,
                RetryPeriod = lease / 7.5,
                LoggerFactory = loggerFactory,
            };

            KubeController controller;
            try
            {
                controller = await KubeController.StartAsync(options, ct);
            }
            catch (Exception e) when (e is k8s.Autorest.HttpOperationException or HttpRequestException or InvalidOperationException or IOException
                or System.Security.Cryptography.CryptographicException or ArgumentException)
            {
                await Console.Error.WriteLineAsync($"weft controller: cannot start against {config.Host}: {Weft.ControlPlane.Kubernetes.KubeErrors.Describe(e)}");
                return 1;
            }

            await using (controller)
            {
                Console.WriteLine($"weft controller {options.Identity}: API server {config.Host}, namespace {options.Namespace}, discovery at {controller.Address.ToString().TrimEnd('/')}");
                try
                {
                    await controller.WaitForSyncAsync(ct);
                    Console.WriteLine($"read the cluster: {string.Join(", ", controller.Source.Informers.Select(i => $"{i.Objects.Count} {i.Resource.Plural}"))}");
                    if (result.GetValue(readyFile) is { } ready)
                    {
                        await File.WriteAllTextAsync(ready, controller.Address.ToString().TrimEnd('/') + "\n", CancellationToken.None);
                    }

                    await Task.Delay(Timeout.Infinite, ct);
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                }
            }

            return 0;
        });
        return command;
    }

    private static string? PodNamespace()
    {
        const string path = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";
        try
        {
            return File.Exists(path) ? File.ReadAllText(path).Trim() : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static bool TrySplit(string value, out string address, out int port)
    {
        var colon = value.LastIndexOf(':');
        address = colon > 0 ? value[..colon].Trim('[', ']') : "";
        port = 0;
        return colon > 0
            && System.Net.IPAddress.TryParse(address, out _)
            && int.TryParse(value[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out port)
            && port <= 65535;
    }
}
