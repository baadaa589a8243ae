namespace Weft.Routing.Authorization;

/// <summary>
/// An <see cref="AuthorizationRequest"/> as the matchers read it: the path without its query, found once per decision
/// without allocating (the query string is cut out only for a scope match that asks for query parameters).
/// </summary>
internal readonly struct AuthorizationInput
{
    private readonly string? _rawPath;
    private readonly int _pathLength;

    public AuthorizationInput(in AuthorizationRequest request)
    {
        Identity = request.PeerIdentity;
        Port = request.Port;
        Method = request.Method;
        IsGrpc = request.IsGrpc;
        _rawPath = request.Path;
        var q = _rawPath?.IndexOf('?', StringComparison.Ordinal) ?? -1;
        _pathLength = q >= 0 ? q : _rawPath?.Length ?? 0;
    }

    public string? Identity { get; }
    public int Port { get; }

    /// <summary>Null for an L4 connection.</summary>
    public string? Method { get; }
    public bool IsGrpc { get; }
    public bool IsL7 => Method is not null;
    public bool HasPath => _rawPath is not null;
    public ReadOnlySpan<char> Path => _rawPath.AsSpan(0, _pathLength);

    public string? Query => _rawPath is not null && _pathLength < _rawPath.Length ? _rawPath[(_pathLength + 1)..] : null;
}
