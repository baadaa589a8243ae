using System.Net;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using Weft.Api;

namespace Weft.ControlPlane.Kubernetes;

/// <summary>What an API error means, and how to say it in one line.</summary>
public static class KubeErrors
{
    public static bool IsConflict(Exception e) => StatusOf(e) == HttpStatusCode.Conflict;

    public static bool IsNotFound(Exception e) => StatusOf(e) == HttpStatusCode.NotFound;

    /// <summary>401: the server does not accept the credentials (a wrong, expired or revoked token or certificate), as opposed to 403, which is RBAC's no.</summary>
    public static bool IsUnauthorized(Exception e) => StatusOf(e) == HttpStatusCode.Unauthorized;

    /// <summary>A resource (version) the server does not serve: 404 on the collection itself, not on an object in it.</summary>
    public static bool IsNotServed(Exception e) =>
        IsNotFound(e) && ((e as HttpOperationException)?.Response?.Content ?? "").Contains("the server could not find the requested resource", StringComparison.Ordinal);

    /// <summary>410 Gone: an expired resourceVersion or continue token, answered or sent as a watch's ERROR event.</summary>
    public static bool IsGone(Exception e) => e switch
    {
        KubernetesException k => k.Status?.Code == (int)HttpStatusCode.Gone,
        KubeWatchException w => w.InnerException is { } inner && IsGone(inner),
        _ => StatusOf(e) == HttpStatusCode.Gone,
    };

    /// <summary>The code and the Status message of an API error (the exception's message otherwise).</summary>
    public static string Describe(Exception e)
    {
        switch (e)
        {
            case KubernetesException k:
                return $"{k.Status?.Code} {k.Status?.Reason}: {k.Status?.Message}";
            case HttpOperationException h:
                var message = h.Response?.Content ?? "";
                try
                {
                    if (JsonNode.Parse(message)?["message"].Text() is { } m)
                    {
                        message = m;
                    }
                }
                catch (System.Text.Json.JsonException)
                {
                    message = message.Length > 300 ? message[..300] + "…" : message;
                }

                return $"{(int?)h.Response?.StatusCode} {message}";
            default:
                return ExceptionText.WithInner(e);
        }
    }

    private static HttpStatusCode? StatusOf(Exception e) => (e as HttpOperationException)?.Response?.StatusCode;
}
