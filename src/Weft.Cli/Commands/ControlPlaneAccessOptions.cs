using System.CommandLine;
using Weft.Cli.Local;
using Weft.ControlPlane.Kubernetes;

namespace Weft.Cli.Commands;

/// <summary>
/// The options that say which control plane an operator's command (<c>weft status</c>, <c>stat</c>, <c>tap</c>,
/// <c>top</c>, <c>dashboard</c>) calls and as whom: a local mesh by its state file (<c>--state</c>, <c>--dir</c>; the admin
/// credential it keeps; <see cref="MeshStateOptions"/>), or a cluster's controller (<c>--kubeconfig</c>, <c>--context</c>, <c>--control-plane</c>,
/// <c>--weft-namespace</c>; the kubeconfig user's token, which RBAC judges). <see cref="ControlPlaneAdmin.FindAsync"/>
/// reads them.
/// </summary>
internal sealed class ControlPlaneAccessOptions
{
    private readonly MeshStateOptions _mesh = new();
    private readonly Option<string?> _kubeconfig = new("--kubeconfig") { Description = "A cluster's kubeconfig: call its controller as that user (RBAC: weft-mesh-viewer, weft-tap)" };
    private readonly Option<string?> _context = new("--context") { Description = "The kubeconfig context (default: its current one)" };
    private readonly Option<string?> _controlPlane = new("--control-plane")
    {
        Description = $"The controller's discovery address with --kubeconfig, e.g. {WeftInstallation.PortForwardHint(WeftInstallation.DefaultNamespace)}",
    };

    private readonly Option<string> _weftNamespace = new("--weft-namespace")
    {
        Description = "Weft's namespace in the cluster (its trust bundle and Service name)",
        DefaultValueFactory = _ => WeftInstallation.DefaultNamespace,
    };

    public void AddTo(Command command)
    {
        _mesh.AddTo(command);
        foreach (var option in new Option[] { _kubeconfig, _context, _controlPlane, _weftNamespace })
        {
            command.Options.Add(option);
        }
    }

    public ControlPlaneAdmin.Query Read(ParseResult result) => new(
        _mesh.State(result),
        _mesh.Dir(result),
        result.GetValue(_kubeconfig),
        result.GetValue(_context),
        result.GetValue(_controlPlane),
        result.GetValue(_weftNamespace) ?? WeftInstallation.DefaultNamespace);
}
