namespace Weft.Routing.Authorization;

/// <summary>
/// An <see cref="AuthorizationRequest"/> as the matchers read it: the path in its canonical form
/// (<see cref="AuthorizationPath"/>; the request's own string when it is already canonical) and the query apart.
/// </summary>
internal readonly struct AuthorizationInput
{
    private readonly string? _path;

    public AuthorizationInput(in AuthorizationRequest request)
    {
        Identity = request.PeerIdentity;
        Port = request.Port;
        Method = request.Method;
        IsGrpc = request.IsGrpc;
        _path = request.Path is null ? null : AuthorizationPath.Canonical(request.Path);
        Query = request.Query;
    }

    public string? Identity { get; }
    public int Port { get; }

    /// <summary>Null for an L4 connection.</summary>
    public string? Method { get; }
    public bool IsGrpc { get; }
    public bool IsL7 => Method is not null;
    public bool HasPath => _path is not null;
    public ReadOnlySpan<char> Path => _path.AsSpan();

    public string? Query { get; }
}
