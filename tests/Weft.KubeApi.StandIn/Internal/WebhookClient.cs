using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Weft.KubeApi.StandIn.Internal;

/// <summary>
/// POSTs an AdmissionReview to a webhook's <c>clientConfig</c> as kube-apiserver's webhook client does: HTTPS only, to
/// <c>url</c>, or to <c>service</c> as <c>https://NAME.NAMESPACE.svc:PORT/PATH</c> (the name the certificate must carry),
/// with <c>?timeout=Ns</c>. The server certificate must chain to <c>caBundle</c> (and only to it) when one is given, else to
/// the system roots. There is no cluster network, so a service is reached at the address
/// <see cref="KubeApiServerOptions.WebhookServiceAddresses"/> maps it to; unmapped, it has no endpoints.
/// Failures are <see cref="WebhookCallFailure"/>s worded as the Go client words them.
/// </summary>
internal sealed class WebhookClient(IReadOnlyDictionary<string, IPEndPoint> serviceAddresses)
{
    public async Task<JsonNode?> PostAsync(string webhookName, JsonObject clientConfig, TimeSpan timeout, JsonObject review, CancellationToken ct)
    {
        var (url, endpoint, serviceName) = Target(webhookName, clientConfig, timeout);
        var shown = ShownUrl(url);
        string? tlsFailure = null;
        var trust = clientConfig["caBundle"]?.ToString() is { Length: > 0 } bundle ? TrustRoots(webhookName, bundle) : null;
        using var handler = new SocketsHttpHandler
        {
            ConnectTimeout = timeout,
            UseProxy = false,
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
                {
                    tlsFailure = Verify(certificate as X509Certificate2, chain, errors, trust, url.IdnHost);
                    return tlsFailure is null;
                },
            },
            ConnectCallback = async (context, token) =>
            {
                var target = endpoint
                    ?? (serviceName is not null
                        ? throw new WebhookCallFailure($"failed to call webhook: Post \"{shown}\": no endpoints available for service \"{serviceName}\"")
                        : null);
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    if (target is not null)
                    {
                        await socket.ConnectAsync(target, token);
                    }
                    else
                    {
                        await socket.ConnectAsync(context.DnsEndPoint, token);
                    }

                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch (SocketException e)
                {
                    socket.Dispose();
                    var where = target?.ToString() ?? $"{context.DnsEndPoint.Host}:{context.DnsEndPoint.Port}";
                    var why = e.SocketErrorCode == SocketError.ConnectionRefused ? "connect: connection refused" : e.Message;
                    throw new WebhookCallFailure($"failed to call webhook: Post \"{shown}\": dial tcp {where}: {why}");
                }
            },
        };
        using var client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        try
        {
            using var content = new StringContent(ApiJson.Write(review), Encoding.UTF8, "application/json");
            content.Headers.ContentType!.CharSet = null;
            using var response = await client.PostAsync(url, content, deadline.Token);
            var text = await response.Content.ReadAsStringAsync(deadline.Token);
            if (!response.IsSuccessStatusCode)
            {
                throw new WebhookCallFailure($"failed to call webhook: an error on the server (\"{text.Trim()}\") has prevented the request from succeeding");
            }

            try
            {
                return JsonNode.Parse(text);
            }
            catch (JsonException e)
            {
                throw new WebhookCallFailure($"failed to call webhook: {e.Message}");
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new WebhookCallFailure($"failed to call webhook: Post \"{shown}\": context deadline exceeded");
        }
        catch (HttpRequestException e)
        {
            for (Exception? inner = e; inner is not null; inner = inner.InnerException)
            {
                if (inner is WebhookCallFailure failure)
                {
                    throw failure;
                }
            }

            throw new WebhookCallFailure(tlsFailure is not null
                ? $"failed to call webhook: Post \"{shown}\": tls: failed to verify certificate: {tlsFailure}"
                : $"failed to call webhook: Post \"{shown}\": {e.Message}");
        }
    }

    /// <summary>The URL as Go prints it: the port always written when the configuration named it (Uri drops 443).</summary>
    private static string ShownUrl(Uri url) =>
        $"{url.Scheme}://{url.Host}:{url.Port}{url.PathAndQuery}";

    private (Uri Url, IPEndPoint? Endpoint, string? ServiceName) Target(string webhookName, JsonObject clientConfig, TimeSpan timeout)
    {
        var seconds = "?timeout=" + ((int)Math.Ceiling(timeout.TotalSeconds)).ToString(CultureInfo.InvariantCulture) + "s";
        if (clientConfig["service"] is JsonObject service)
        {
            var name = service["name"]?.ToString() ?? "";
            var ns = service["namespace"]?.ToString() ?? "";
            var port = service["port"]?.GetValue<int>() ?? 443;
            var path = service["path"]?.ToString() ?? "";
            var url = new Uri($"https://{name}.{ns}.svc:{port}{path}{seconds}");
            return (url, serviceAddresses.GetValueOrDefault($"{ns}/{name}:{port}"), name);
        }

        if (clientConfig["url"]?.ToString() is { Length: > 0 } text && Uri.TryCreate(text, UriKind.Absolute, out var given) && given.Scheme == "https")
        {
            var builder = new UriBuilder(given) { Query = given.Query.Length > 1 ? given.Query[1..] + "&" + seconds[1..] : seconds[1..] };
            return (builder.Uri, null, null);
        }

        throw new WebhookCallFailure($"could not get REST client: webhook {webhookName} has no https url or service");
    }

    private static X509Certificate2Collection TrustRoots(string webhookName, string caBundle)
    {
        var roots = new X509Certificate2Collection();
        try
        {
            roots.ImportFromPem(Encoding.ASCII.GetString(Convert.FromBase64String(caBundle)));
        }
        catch (Exception e) when (e is FormatException or System.Security.Cryptography.CryptographicException)
        {
            throw new WebhookCallFailure($"could not get REST client: unable to load root certificates: {e.Message}");
        }

        return roots.Count > 0 ? roots : throw new WebhookCallFailure($"could not get REST client: unable to load root certificates: no certificates in caBundle of {webhookName}");
    }

    /// <summary>Null when the certificate is trusted for <paramref name="host"/>; else the x509 reason, as Go's crypto/x509 words it.</summary>
    private static string? Verify(X509Certificate2? certificate, X509Chain? presented, SslPolicyErrors errors, X509Certificate2Collection? trust, string host)
    {
        if (certificate is null)
        {
            return "x509: no certificate presented";
        }

        if (trust is null)
        {
            if ((errors & SslPolicyErrors.RemoteCertificateChainErrors) != 0)
            {
                return "x509: certificate signed by unknown authority";
            }
        }
        else
        {
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.AddRange(trust);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            if (presented is not null)
            {
                chain.ChainPolicy.ExtraStore.AddRange(presented.ChainPolicy.ExtraStore);
            }

            if (!chain.Build(certificate))
            {
                return "x509: certificate signed by unknown authority";
            }
        }

        if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
        {
            var names = certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().SelectMany(e => e.EnumerateDnsNames()).ToList();
            return names.Count == 0
                ? "x509: certificate is not valid for any names, but wanted to match " + host
                : $"x509: certificate is valid for {string.Join(", ", names)}, not {host}";
        }

        return null;
    }
}
