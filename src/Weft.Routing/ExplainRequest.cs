namespace Weft.Routing;

/// <summary>A request to explain: where it is addressed (host as the app wrote it, or an IP) and what it carries.</summary>
public sealed record ExplainRequest(string Host, int Port, string Method, string PathAndQuery, IReadOnlyList<KeyValuePair<string, string>> Headers);
