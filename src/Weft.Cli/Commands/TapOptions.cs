using System.CommandLine;
using Weft.Discovery.Tap;
using Weft.Discovery.V1;

namespace Weft.Cli.Commands;

/// <summary>The options <c>weft tap</c> and <c>weft top</c> share: the mesh or cluster, the namespace and the sidecars' filters.</summary>
internal sealed class TapOptions
{
    private readonly ControlPlaneAccessOptions _access = new();
    private readonly Option<string> _namespace = new("--namespace", "-n") { Description = "The target's namespace", DefaultValueFactory = _ => "default" };
    private readonly Option<string?> _to = new("--to") { Description = "Only requests to this Service: svc/NAME" };
    private readonly Option<string?> _method = new("--method") { Description = "Only requests with this method" };
    private readonly Option<string?> _path = new("--path") { Description = "Only requests whose path starts with this prefix" };
    private readonly Option<string?> _authority = new("--authority") { Description = "Only requests with this Host (authority)" };
    private readonly Option<string?> _direction = new("--direction") { Description = "Only inbound or only outbound requests" };

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { _namespace, _to, _method, _path, _authority, _direction })
        {
            command.Options.Add(option);
        }

        _access.AddTo(command);
    }

    /// <summary>Which control plane to call, and as whom.</summary>
    public Local.ControlPlaneAdmin.Query Access(ParseResult result) => _access.Read(result);

    public bool TryRequest(ParseResult result, string target, out TapRequest request, out string? error)
    {
        request = new TapRequest();
        var ns = result.GetValue(_namespace) ?? "default";
        if (!TapTarget.TryParse(target, out var kind, out var name, out error) || !TapTarget.TryParseTo(result.GetValue(_to), ns, out var service, out error))
        {
            return false;
        }

        var direction = result.GetValue(_direction) ?? "";
        if (direction is not ("" or StatLabels.Inbound or StatLabels.Outbound))
        {
            error = $"--direction '{direction}': inbound or outbound";
            return false;
        }

        request = new TapRequest
        {
            Namespace = ns,
            TargetKind = kind,
            TargetName = name,
            ToService = service,
            Direction = service.Length > 0 && direction.Length == 0 ? StatLabels.Outbound : direction,
            Method = result.GetValue(_method) ?? "",
            PathPrefix = result.GetValue(_path) ?? "",
            Authority = result.GetValue(_authority) ?? "",
        };
        return true;
    }
}
