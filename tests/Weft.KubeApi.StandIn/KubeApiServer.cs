using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Weft.KubeApi.StandIn.Internal;

namespace Weft.KubeApi.StandIn;

/// <summary>
/// A Kubernetes API server stand-in for tests: the real wire protocol (discovery, REST verbs, list and watch, Status
/// errors, TokenRequest/TokenReview, SubjectAccessReview by RBAC, CRDs) over Kestrel on 127.0.0.1, with all state in memory. Clients are the real
/// ones (KubernetesClient, kubectl). Where it simplifies the real kube-apiserver, the types involved say so and
/// README.md lists it: notably no authorization of its own requests (every valid token may do everything), mutating admission webhooks only
/// (no validating webhooks or built-in admission plugins), no schema validation of custom resources, no server-side apply, no Table rendering, immediate deletion (no finalizers or
/// graceful periods), and no conversion between CRD versions.
/// </summary>
public sealed class KubeApiServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ObjectStore _store;
    private readonly ServiceAccountTokens _tokens;
    private readonly TokenIssuer _issuer;
    private readonly CertificateAuthority? _authority;

    private KubeApiServer(WebApplication app, ObjectStore store, ServiceAccountTokens tokens, TokenIssuer issuer, CertificateAuthority? authority, string adminToken)
    {
        _app = app;
        _store = store;
        _tokens = tokens;
        _issuer = issuer;
        _authority = authority;
        AdminToken = adminToken;
    }

    /// <summary><c>https://127.0.0.1:PORT</c> (or <c>http://</c> without TLS); the port is chosen by the OS.</summary>
    public Uri Address { get; private set; } = null!;

    /// <summary>The PEM of the CA that signed the serving certificate (empty without TLS).</summary>
    public string CertificateAuthorityPem => _authority?.AuthorityPem ?? "";

    /// <summary>A bearer token with full access.</summary>
    public string AdminToken { get; }

    /// <summary>The current global resourceVersion.</summary>
    public long ResourceVersion => _store.ResourceVersion;

    /// <summary>How many watch streams are open now.</summary>
    public int OpenWatches => _store.OpenWatches;

    public static async Task<KubeApiServer> StartAsync(KubeApiServerOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var time = options.TimeProvider;
        var authority = options.Tls ? CertificateAuthority.Create(time.GetUtcNow()) : null;
        var store = new ObjectStore(historyLimit: 10_000);
        var catalog = new ResourceCatalog();
        var registry = new ResourceRegistry(store, catalog, new ServiceIpAllocator(options.ServiceCidr), time);
        var issuer = new TokenIssuer(time);
        var adminToken = "weft-admin-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var tokens = new ServiceAccountTokens(store, issuer, time, adminToken);
        Bootstrap(registry);
        foreach (var path in options.CrdPaths)
        {
            InstallCrds(registry, path);
        }

        registry.CrdEstablishingDelay = options.CrdEstablishingDelay; // those installed at start are served at once
        registry.CrdTerminatingDelay = options.CrdTerminatingDelay;

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = [],
            ApplicationName = typeof(KubeApiServer).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.UseShutdownTimeout(TimeSpan.FromSeconds(2));
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(IPAddress.Loopback, 0, listen =>
            {
                listen.Protocols = authority is null ? HttpProtocols.Http1 : HttpProtocols.Http1AndHttp2;
                if (authority is not null)
                {
                    listen.UseHttps(authority.Serving);
                }
            });
        });
        var app = builder.Build();
        var server = new KubeApiServer(app, store, tokens, issuer, authority, adminToken);
        var admission = new MutatingAdmission(store, new WebhookClient(options.WebhookServiceAddresses));
        var handler = new ApiHttpHandler(catalog, registry, store, admission, tokens, new RbacAuthorizer(store), () => server.Address.Authority, options.BookmarkInterval);
        app.Run(handler.HandleAsync);
        await app.StartAsync(ct);
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.Address = new Uri($"{(authority is null ? "http" : "https")}://127.0.0.1:{new Uri(bound).Port}");
        return server;
    }

    /// <summary>
    /// Writes a standard kubeconfig (one cluster with <c>certificate-authority-data</c>, one user with a bearer token, one
    /// current context) and returns <paramref name="path"/>.
    /// </summary>
    public string WriteKubeconfig(string path, string? token = null, string? @namespace = null)
    {
        var text = new StringBuilder()
            .AppendLine("apiVersion: v1")
            .AppendLine("kind: Config")
            .AppendLine("clusters:")
            .AppendLine("- name: weft-standin")
            .AppendLine("  cluster:")
            .AppendLine($"    server: {Address.AbsoluteUri.TrimEnd('/')}");
        if (_authority is not null)
        {
            text.AppendLine($"    certificate-authority-data: {Convert.ToBase64String(Encoding.ASCII.GetBytes(CertificateAuthorityPem))}");
        }

        text.AppendLine("users:")
            .AppendLine("- name: weft-standin-user")
            .AppendLine("  user:")
            .AppendLine($"    token: {token ?? AdminToken}")
            .AppendLine("contexts:")
            .AppendLine("- name: weft-standin")
            .AppendLine("  context:")
            .AppendLine("    cluster: weft-standin")
            .AppendLine("    user: weft-standin-user");
        if (@namespace is not null)
        {
            text.AppendLine($"    namespace: {@namespace}");
        }

        text.AppendLine("current-context: weft-standin")
            .AppendLine("preferences: {}");
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }

        File.WriteAllText(path, text.ToString());
        return path;
    }

    /// <summary>Forgets the history: a watch or exact list at an older resourceVersion now gets 410 Expired.</summary>
    public void Compact() => _store.Compact();

    /// <summary>Ends every open watch stream, as an API server restart or a load balancer would; returns how many.</summary>
    public int DropWatches() => _store.DropWatches();

    /// <summary>
    /// A service account token as TokenRequest would issue it: the ServiceAccount (and the Pod, when named) must exist;
    /// empty <paramref name="audiences"/> means the API server's own audience.
    /// </summary>
    /// <exception cref="InvalidOperationException">The ServiceAccount or Pod does not exist.</exception>
    public string IssueToken(string @namespace, string serviceAccount, string? podName, IReadOnlyList<string> audiences, TimeSpan lifetime)
    {
        ArgumentNullException.ThrowIfNull(audiences);
        try
        {
            return _tokens.Issue(@namespace, serviceAccount, podName, null, audiences.Count == 0 ? [TokenIssuer.ApiAudience] : audiences, lifetime);
        }
        catch (ApiException e)
        {
            throw new InvalidOperationException(e.Message, e);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _store.DropWatches();
        await _app.StopAsync();
        await _app.DisposeAsync();
        _authority?.Dispose();
        _issuer.Dispose();
    }

    /// <summary>What a fresh cluster has: the system namespaces and the <c>kubernetes</c> Service (the first cluster IP).</summary>
    private static void Bootstrap(ResourceRegistry registry)
    {
        foreach (var name in new[] { "default", "kube-system", "kube-public", "kube-node-lease" })
        {
            registry.Create(
                new ResourceRequest(BuiltInResources.Namespaces, "v1", null, null, null),
                new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Namespace", ["metadata"] = new JsonObject { ["name"] = name } });
        }

        registry.Create(
            new ResourceRequest(BuiltInResources.Services, "v1", "default", null, null),
            JsonNode.Parse("""
                {"apiVersion":"v1","kind":"Service","metadata":{"name":"kubernetes","labels":{"component":"apiserver","provider":"kubernetes"}},
                 "spec":{"ports":[{"name":"https","port":443,"protocol":"TCP","targetPort":6443}]}}
                """)!.AsObject());
    }

    private static void InstallCrds(ResourceRegistry registry, string path)
    {
        var files = Directory.Exists(path)
            ? Directory.GetFiles(path).Where(f => f.EndsWith(".yaml", StringComparison.Ordinal) || f.EndsWith(".yml", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToArray()
            : [path];
        var collection = new ResourceRequest(BuiltInResources.CustomResourceDefinitions, "v1", null, null, null);
        foreach (var file in files)
        {
            foreach (var crd in YamlDocuments.Parse(File.ReadAllText(file)).OfType<JsonObject>())
            {
                if (crd["kind"]?.ToString() != "CustomResourceDefinition")
                {
                    continue;
                }

                var name = ObjectMeta.Name(crd)!;
                try
                {
                    registry.Get(collection with { Name = name });
                    registry.Update(collection with { Name = name }, crd);
                }
                catch (ApiException e) when (e.Code == 404)
                {
                    registry.Create(collection, crd);
                }
            }
        }
    }
}
