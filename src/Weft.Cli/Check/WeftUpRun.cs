using System.Globalization;
using k8s;
using Weft.Cli.Local.Api;

namespace Weft.Cli.Check;

/// <summary>
/// The <c>weft up DIR --kubeconfig</c> whose mesh a cluster is: its control plane (the controller, serving sidecars and
/// writing status) runs inside that process, and it runs its pods itself, already injected, so there is no controller
/// Deployment and no injector webhook to check. Known by the Lease of the Node it plays kubelet for
/// (<c>kube-node-lease/weft-local</c>), which names the run (<c>weft.dev/run: MACHINE/PID/START</c>) and which it renews
/// every 10 s: a Lease renewed within its duration is a run that lives, unless it names this machine and a process that
/// is gone (a run killed less than the Lease's duration ago). An expired one (a run that was killed) runs no mesh, and
/// the checks apply again.
/// </summary>
internal sealed record WeftUpRun(string Machine, int Pid)
{
    /// <summary>What a check that does not apply says about the run (its machine holds only a host name's characters: <see cref="RunIdentity.TryParse"/>).</summary>
    public string ControlPlane => string.Create(CultureInfo.InvariantCulture,
        $"the control plane is the weft up on machine {Machine} (pid {Pid}), as Lease {KubeletNode.LeaseNamespace}/{KubeletNode.Name} says");

    /// <summary>The run whose node Lease is live, or null (none, not a weft up's, or expired).</summary>
    public static async Task<WeftUpRun?> ReadAsync(CheckContext context, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(context);
        var lease = await ApiReads.OrNullAsync(() => context.Client.CoordinationV1.ReadNamespacedLeaseAsync(KubeletNode.Name, KubeletNode.LeaseNamespace, cancellationToken: ct)).ConfigureAwait(false);
        if (lease?.Metadata?.Annotations?.TryGetValue(KubeletNode.RunAnnotation, out var run) != true
            || !RunIdentity.TryParse(run!, out var machine, out var pid, out _)
            || lease.Spec?.RenewTime is not { } renewed
            || RunIdentity.IsGoneFromThisMachine(run!))
        {
            // A run of this machine whose process is gone (killed less than a Lease's duration ago) runs nothing either.
            return null;
        }

        var age = context.Time.GetUtcNow().UtcDateTime - DateTime.SpecifyKind(renewed, DateTimeKind.Utc);
        return age <= TimeSpan.FromSeconds(lease.Spec.LeaseDurationSeconds ?? KubeletNode.LeaseDurationSeconds) ? new WeftUpRun(machine, pid) : null;
    }
}
