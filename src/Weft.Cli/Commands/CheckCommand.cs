using System.CommandLine;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Exceptions;
using Weft.Cli.Check;
using Weft.ControlPlane.Kubernetes;

namespace Weft.Cli.Commands;

/// <summary>
/// <c>weft check [--kubeconfig FILE] [--context NAME] [--namespace NS] [--probe-namespace NS] [-o text|json]</c>: whether
/// a cluster runs Weft as it should (<see cref="ClusterCheck"/>), one line per check, <c>✓</c> or <c>✗</c> with a hint, or
/// <c>-</c> for one that does not apply (a <c>weft up --kubeconfig</c> mesh has no controller Deployment or webhook).
/// Exit 0: every check passed or did not apply; 1: some failed; 2: bad arguments or no usable kubeconfig.
/// </summary>
internal static class CheckCommand
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static Command Create()
    {
        var kubeconfig = new Option<string?>("--kubeconfig") { Description = "A kubeconfig file (default: KUBECONFIG or ~/.kube/config, or in-cluster credentials in a pod)" };
        var context = new Option<string?>("--context") { Description = "The kubeconfig context to use (default: its current-context)" };
        var ns = new Option<string>("--namespace", "-n") { Description = "Weft's namespace", DefaultValueFactory = _ => WeftInstallation.DefaultNamespace };
        var probe = new Option<string>("--probe-namespace") { Description = "Where the injector is probed with a dry-run pod", DefaultValueFactory = _ => "default" };
        var output = new Option<string>("--output", "-o") { Description = "text (default) or json", DefaultValueFactory = _ => "text" };
        output.AcceptOnlyFromAmong("text", "json");
        var command = new Command("check", "Check that a cluster runs Weft as it should: CRDs, controller, mesh root, injector") { kubeconfig, context, ns, probe, output };
        command.SetAction(async (result, ct) =>
        {
            if (!ClusterConfig.TryResolve(result.GetValue(kubeconfig), result.GetValue(context), "check", out var config))
            {
                return 2;
            }

            using var client = new Kubernetes(config);
            var results = await ClusterCheck.RunAsync(new CheckContext(client, result.GetValue(ns)!, result.GetValue(probe)!, TimeProvider.System), ct);
            Console.Out.Write(result.GetValue(output) == "json" ? Json(results) : Text(results));
            return results.All(r => r.Ok) ? 0 : 1;
        });
        return command;
    }

    internal static string Text(IReadOnlyList<CheckResult> results)
    {
        var text = new StringBuilder();
        foreach (var group in results.GroupBy(r => r.Group))
        {
            text.Append(group.Key).Append('\n').Append('-', group.Key.Length).Append('\n');
            foreach (var check in group)
            {
                text.Append(check.Skipped ? "- " : check.Ok ? "✓ " : "✗ ").Append(check.Detail).Append('\n');
                if (!check.Ok && check.Hint is not null)
                {
                    text.Append("    hint: ").Append(check.Hint).Append('\n');
                }
            }

            text.Append('\n');
        }

        var failed = results.Count(r => !r.Ok);
        var skipped = results.Count(r => r.Skipped);
        var notApplying = skipped == 0 ? "" : $" ({skipped} did not apply)";
        text.Append(failed == 0 ? $"Status check results are ✓{notApplying}\n" : $"Status check results are ✗ ({failed} of {results.Count} checks failed){notApplying}\n");
        return text.ToString();
    }

    internal static string Json(IReadOnlyList<CheckResult> results)
    {
        var checks = new JsonArray();
        foreach (var r in results)
        {
            var check = new JsonObject { ["group"] = r.Group, ["name"] = r.Name, ["ok"] = r.Ok, ["detail"] = r.Detail };
            if (r.Hint is not null)
            {
                check["hint"] = r.Hint;
            }

            if (r.Skipped)
            {
                check["skipped"] = true;
            }

            checks.Add(check);
        }

        return new JsonObject { ["ok"] = results.All(r => r.Ok), ["checks"] = checks }.ToJsonString(Indented) + "\n";
    }
}
