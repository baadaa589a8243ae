namespace Weft.Api.Model;

/// <summary>
/// The HTTPRoute <c>HTTPMethod</c> enum (the CRD's <c>matches[].method</c>, gamma-spec E): the methods a rule may match.
/// CRD validation, Routing's rule check and the CORS <c>allowMethods</c> enum (these and <c>*</c>) all read this list.
/// </summary>
public static class HttpRouteMethod
{
    /// <summary>In the CRD's order, which messages that list them keep.</summary>
    public static IReadOnlyList<string> All { get; } = ["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"];

    /// <summary>Whether <paramref name="method"/> is one of <see cref="All"/>, spelled as the enum spells it (case matters).</summary>
    public static bool IsDefined(string method) => All.Contains(method, StringComparer.Ordinal);
}
