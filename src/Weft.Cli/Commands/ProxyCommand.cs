using System.CommandLine;
using Weft.Proxy;

namespace Weft.Cli.Commands;

/// <summary><c>weft proxy</c>: runs the sidecar, with the same arguments as the <c>weft-proxy</c> executable.</summary>
internal static class ProxyCommand
{
    public static Command Create()
    {
        var pod = new Option<string>("--pod") { Description = "The pod this sidecar serves, NAMESPACE/NAME", Required = true };
        var podIp = new Option<string>("--pod-ip") { Description = "The pod's IP; the listeners bind on it", Required = true };
        var serviceAccount = new Option<string>("--service-account") { Description = "The pod's service account", DefaultValueFactory = _ => "default" };
        var controlPlane = new Option<string>("--control-plane") { Description = "The discovery server, e.g. http://127.0.0.1:PORT", Required = true };
        var outbound = new Option<int?>("--outbound-port") { Description = "Outbound listener port (default 15001)" };
        var inbound = new Option<int?>("--inbound-port") { Description = "Inbound listener port (default 15006)" };
        var admin = new Option<int?>("--admin-port") { Description = "Admin port (default 15000)" };
        var mtls = new Option<string>("--mtls") { Description = "Inbound mTLS mode: strict (plaintext refused) or permissive", DefaultValueFactory = _ => "strict" };
        mtls.AcceptOnlyFromAmong("strict", "permissive");
        var level = new Option<string>("--level") { Description = "The workload's mesh level (weft.dev/mesh): l7, or l4 (mTLS and L4 routes only)", DefaultValueFactory = _ => "l7" };
        level.AcceptOnlyFromAmong("l7", "l4");
        var detect = new Option<int?>("--detect-timeout-ms") { Description = "How long protocol detection waits for a client's first bytes (default 200)" };
        var capture = new Option<bool>("--capture") { Description = "The pod's traffic is captured by iptables (weft init): outbound listener on 127.0.0.1, connections served by their original destination" };
        var controlPlaneCa = new Option<string?>("--control-plane-ca") { Description = "PEM roots an https control plane's certificate must chain to (the mesh trust bundle)" };
        var tokenFile = new Option<string?>("--token-file") { Description = "A file with the workload token (a projected service-account token), re-read at every renewal; else WEFT_TOKEN" };
        var command = new Command("proxy", "Run the sidecar proxy of one pod (the workload token comes from --token-file or WEFT_TOKEN)") { pod, podIp, serviceAccount, controlPlane, outbound, inbound, admin, mtls, level, detect, capture, controlPlaneCa, tokenFile };
        command.SetAction(async (result, ct) =>
        {
            List<string> args =
            [
                "--pod", result.GetValue(pod)!, "--pod-ip", result.GetValue(podIp)!,
                "--service-account", result.GetValue(serviceAccount)!, "--control-plane", result.GetValue(controlPlane)!,
            ];
            AddPort(args, "--outbound-port", result.GetValue(outbound));
            AddPort(args, "--inbound-port", result.GetValue(inbound));
            AddPort(args, "--admin-port", result.GetValue(admin));
            args.Add("--mtls");
            args.Add(result.GetValue(mtls)!);
            args.Add("--level");
            args.Add(result.GetValue(level)!);
            AddPort(args, "--detect-timeout-ms", result.GetValue(detect));
            if (result.GetValue(capture))
            {
                args.Add("--capture");
            }

            foreach (var (name, value) in new[] { ("--control-plane-ca", result.GetValue(controlPlaneCa)), ("--token-file", result.GetValue(tokenFile)) })
            {
                if (value is not null)
                {
                    args.Add(name);
                    args.Add(value);
                }
            }

            if (!ProxyArguments.TryParse(args, out var options, out var error))
            {
                await Console.Error.WriteLineAsync($"weft proxy: {error}\n{ProxyArguments.Usage}");
                return 2;
            }

            await ProxyHost.RunAsync(options, ct);
            return 0;
        });
        return command;
    }

    private static void AddPort(List<string> args, string name, int? port)
    {
        if (port is { } value)
        {
            args.Add(name);
            args.Add(value.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
    }
}
