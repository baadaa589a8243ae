using System.Text;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Weft.Cli.Check;
using Weft.Cli.Install;
using Weft.Conformance.Tests;
using Weft.ControlPlane.Identity;
using Weft.ControlPlane.Kubernetes;
using Weft.KubeApi.StandIn;
using Xunit.Abstractions;

namespace Weft.Kubernetes.Tests.Check;

/// <summary>
/// <c>weft check</c> against the API server stand-in: every check passes on a cluster a controller runs in, and each
/// thing that can be wrong gives its own ✗ and hint. The stand-in calls the injector through the webhook
/// configuration's Service, which <see cref="_services"/> maps to the controller's loopback port.
/// </summary>
public sealed class CheckTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Ns = WeftInstallation.DefaultNamespace;
    private readonly WeftChildren _children = new(output);
    private readonly string _work = Directory.CreateTempSubdirectory("weft-check-").FullName;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, System.Net.IPEndPoint> _services = new(StringComparer.Ordinal);
    private KubeApiServer _api = null!;
    private k8s.Kubernetes _client = null!;

    /// <summary>What is not installed in this test (no <c>weft install</c>): the Deployment and the webhook configuration.</summary>
    private static readonly string[] NotInstalled = ["deployment", "webhook-configuration"];

    private string Kubeconfig => Path.Combine(_work, "kubeconfig");

    public Task InitializeAsync() => StartAsync([SharedFiles.GatewayApiCrds, SharedFiles.WeftCrd]);

    public async Task DisposeAsync()
    {
        await _children.DisposeAsync();
        _client.Dispose();
        await _api.DisposeAsync();
        Directory.Delete(_work, recursive: true);
    }

    [Fact]
    public async Task Every_check_passes_against_a_running_controller()
    {
        await _client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = Ns } });
        await using var controller = await KubeController.StartAsync(new KubeControllerOptions
        {
            Client = _client,
            Namespace = Ns,
            Identity = "check-test",
            ListenAddress = "127.0.0.1",
            Port = 0,
        }, CancellationToken.None);
        await controller.WaitForSyncAsync(CancellationToken.None);
        await WeftChildren.WaitAsync(() => controller.IsLeader, TimeSpan.FromSeconds(30), () => "the controller never led");

        var results = await RunAsync();
        Assert.All(results.Where(r => !NotInstalled.Contains(r.Name)), r => Assert.True(r.Ok, $"{r.Name}: {r.Detail}"));
        Assert.Equal(GatewayApiCrds.All.Count, results.Count(r => r.Group == GatewayApiChecks.Group && r.Ok));

        var (_, text) = await _children.RunAsync(["check", "--kubeconfig", Kubeconfig]);
        Assert.Contains("✓ CRD httproutes.gateway.networking.k8s.io (v1.6.1, experimental channel)", text, StringComparison.Ordinal);
        Assert.Contains("✓ CRD authorizationpolicies.policy.weft.dev (AuthorizationPolicy, serves v1alpha1)", text, StringComparison.Ordinal);
        Assert.Contains($"✓ Lease {Ns}/weft-controller held by check-test, renewed", text, StringComparison.Ordinal);
        Assert.Contains($"✓ ConfigMap {Ns}/weft-trust-bundle holds the mesh root", text, StringComparison.Ordinal);
        Assert.Contains("✓ the mesh root is valid until", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Weft_check_exits_0_after_weft_install_with_the_controller_running_and_the_injector_answering()
    {
        await ApplyInstallAsync();
        await using var controller = await KubeController.StartAsync(new KubeControllerOptions
        {
            Client = _client,
            Namespace = Ns,
            Identity = "check-test",
            ListenAddress = "127.0.0.1",
            Port = 0,
            Injector = Weft.ControlPlane.Injection.InjectorOptions.ForCluster(Ns, "example/weft:1", "1", ["init"]),
        }, CancellationToken.None);
        await controller.WaitForSyncAsync(CancellationToken.None);
        await WeftChildren.WaitAsync(() => controller.IsLeader, TimeSpan.FromSeconds(30), () => "the controller never led");

        // The Service weft-controller:443 reaches the controller's port, as kube-proxy would route it.
        _services[$"{Ns}/{WeftInstallation.ControllerName}:{WeftInstallation.WebhookServicePort}"] = new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, controller.Address.Port);
        IReadOnlyList<CheckResult> results = [];
        await WeftChildren.WaitAsync(() => (results = RunAsync().GetAwaiter().GetResult()).All(r => r.Ok), TimeSpan.FromSeconds(60),
            () => string.Join("\n", results.Where(r => !r.Ok).Select(r => $"{r.Name}: {r.Detail}")));
        var (code, text) = await _children.RunAsync(["check", "--kubeconfig", Kubeconfig]);
        Assert.True(code == 0, text);
        Assert.Contains("✓ the injector answers", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Weft_check_finds_the_cluster_through_KUBECONFIG_as_kubectl_does()
    {
        var (code, text) = await _children.RunAsync(["check"], new Dictionary<string, string?>
        {
            ["KUBECONFIG"] = $"{Path.Combine(_work, "missing")}{Path.PathSeparator}{Kubeconfig}",
            ["HOME"] = _work, // no ~/.kube/config to fall back on
        });

        Assert.True(code == 1, text); // it reached the cluster: some checks fail (nothing installed), none for want of a configuration
        Assert.Contains($"can reach the API server at {_api.Address.ToString().TrimEnd('/')}", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not: [yaml\n", "is not valid YAML (line 2)")]
    [InlineData("PEM", "a certificate or key in")]
    public async Task A_kubeconfig_that_cannot_be_read_is_one_line_and_exit_2_in_every_verb_that_takes_one(string content, string words)
    {
        var file = Path.Combine(_work, "broken-kubeconfig");
        var pem = Convert.ToBase64String(Encoding.ASCII.GetBytes("-----BEGIN CERTIFICATE-----\nMIIBkzCCATmgAwIBAgIU\n-----END CERTIFICATE-----\n"));
        await File.WriteAllTextAsync(file, content == "PEM"
            ? System.Text.RegularExpressions.Regex.Replace(await File.ReadAllTextAsync(Kubeconfig), @"certificate-authority-data: \S+", $"certificate-authority-data: {pem}")
            : content);
        foreach (string[] args in (string[][])[["check", "--kubeconfig", file], ["controller", "--kubeconfig", file, "--listen", "127.0.0.1:0"],
            ["status", "--kubeconfig", file], ["up", _work, "--kubeconfig", file]])
        {
            var (code, text) = await _children.RunAsync(args);
            Assert.True(code == 2 || (args[0] == "status" && code == 1), $"{args[0]}: exit {code}: {text}");
            Assert.Contains($"weft {args[0]}: no usable cluster configuration: ", text, StringComparison.Ordinal);
            Assert.Contains(words, text, StringComparison.Ordinal);
            Assert.DoesNotContain("Unhandled exception", text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_server_certificate_the_kubeconfig_does_not_trust_is_said_with_what_the_handshake_found()
    {
        using var key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        using var other = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=another CA", key, System.Security.Cryptography.HashAlgorithmName.SHA256)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var file = Path.Combine(_work, "other-ca-kubeconfig");
        await File.WriteAllTextAsync(file, System.Text.RegularExpressions.Regex.Replace(await File.ReadAllTextAsync(Kubeconfig),
            @"certificate-authority-data: \S+", $"certificate-authority-data: {Convert.ToBase64String(Encoding.ASCII.GetBytes(other.ExportCertificatePem()))}"));

        var (code, text) = await _children.RunAsync(["check", "--kubeconfig", file]);
        Assert.True(code == 1, text);
        Assert.Contains("cannot reach the API server at ", text, StringComparison.Ordinal);
        Assert.Contains("The SSL connection could not be established: ", text, StringComparison.Ordinal);
        Assert.DoesNotContain("see inner exception", text, StringComparison.Ordinal);
    }

    /// <summary>A 401 is the credentials, not the permissions: one ✗ that says so, not one per check with an RBAC hint.</summary>
    [Fact]
    public async Task Credentials_the_server_does_not_accept_fail_once_as_such_not_as_missing_permissions()
    {
        var file = _api.WriteKubeconfig(Path.Combine(_work, "wrong-token-kubeconfig"), "not-a-token-the-server-issued");

        var (code, text) = await _children.RunAsync(["check", "--kubeconfig", file]);
        Assert.True(code == 1, text);
        Assert.Contains($"✗ the API server at {_api.Address.ToString().TrimEnd('/')} does not accept the kubeconfig's credentials: 401 Unauthorized", text, StringComparison.Ordinal);
        Assert.Contains("hint: the server does not accept the kubeconfig's user", text, StringComparison.Ordinal);
        Assert.Contains("`kubectl get ns`", text, StringComparison.Ordinal);
        Assert.Contains("(1 of 1 checks failed)", text, StringComparison.Ordinal);
        Assert.DoesNotContain("kubectl auth can-i", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_crds_each_fail_with_the_install_hint_but_the_optional_ones_pass()
    {
        await RestartAsync(crds: []);
        var crds = (await RunAsync()).Where(r => r.Group == GatewayApiChecks.Group).ToList();
        Assert.Equal(GatewayApiCrds.All.Select(c => $"crd/{c.Name}"), crds.Select(r => r.Name));
        var required = crds.Where(r => !GatewayApiCrds.All.Single(c => $"crd/{c.Name}" == r.Name).Optional).ToList();
        Assert.Equal(6, required.Count);
        Assert.All(required, r => Assert.False(r.Ok));
        Assert.Contains("CRD xmeshes.gateway.networking.x-k8s.io (XMesh) is not installed", required.Select(r => r.Detail));
        Assert.All(required, r => Assert.Contains("weft install --crds | kubectl apply --server-side -f -", r.Hint, StringComparison.Ordinal));

        // XBackend (Gateway API 1.6 on), BackendTLSPolicy and XBackendTrafficPolicy: the controller reads them as empty.
        var optional = crds.Except(required).ToList();
        Assert.Equal(["crd/xbackends.gateway.networking.x-k8s.io", "crd/backendtlspolicies.gateway.networking.k8s.io", "crd/xbackendtrafficpolicies.gateway.networking.x-k8s.io"], optional.Select(r => r.Name));
        Assert.All(optional, r => Assert.True(r.Ok, r.Detail));
        Assert.Contains("CRD xbackends.gateway.networking.x-k8s.io (XBackend) is not installed: optional, Weft reads no XBackend until it is", optional.Select(r => r.Detail));
    }

    [Fact]
    public async Task An_optional_crd_that_is_installed_is_checked_like_the_others()
    {
        await RestartWithCrdAsync("gateway.networking.x-k8s.io_xbackends.yaml", crd => crd["metadata"]!["annotations"]![GatewayApiCrds.ChannelAnnotation] = "standard");
        var result = Single(await RunAsync(), "crd/xbackends.gateway.networking.x-k8s.io");
        Assert.False(result.Ok);
        Assert.Contains("is of the standard channel; Weft reads XBackend from the experimental channel", result.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_old_bundle_version_fails()
    {
        await RestartWithCrdAsync("gateway.networking.k8s.io_httproutes.yaml", crd => crd["metadata"]!["annotations"]![GatewayApiCrds.BundleVersionAnnotation] = "v1.2.1");
        var result = Single(await RunAsync(), "crd/httproutes.gateway.networking.k8s.io");
        Assert.False(result.Ok);
        Assert.Equal("CRD httproutes.gateway.networking.k8s.io is of Gateway API v1.2.1; Weft reads v1.4.0 or later", result.Detail);
        Assert.Contains("weft install --crds", result.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_standard_channel_crd_of_an_experimental_kind_fails()
    {
        await RestartWithCrdAsync("gateway.networking.k8s.io_tcproutes.yaml", crd => crd["metadata"]!["annotations"]![GatewayApiCrds.ChannelAnnotation] = "standard");
        var result = Single(await RunAsync(), "crd/tcproutes.gateway.networking.k8s.io");
        Assert.False(result.Ok);
        Assert.Contains("is of the standard channel; Weft reads TCPRoute from the experimental channel", result.Detail, StringComparison.Ordinal);
    }

    /// <summary>
    /// Required: without it the controller reads no AuthorizationPolicy (the kind reads as empty), so every workload is
    /// left to the default inbound policy; deleting the CRD (which deletes every policy) must not pass unseen.
    /// </summary>
    [Fact]
    public async Task The_AuthorizationPolicy_crd_is_required_and_a_deleted_one_fails_with_the_install_hint()
    {
        const string Name = "crd/authorizationpolicies.policy.weft.dev";
        var installed = Single(await RunAsync(), Name);
        Assert.True(installed.Ok, installed.Detail);
        Assert.Equal(WeftApiChecks.Group, installed.Group);

        await _client.ApiextensionsV1.DeleteCustomResourceDefinitionAsync("authorizationpolicies.policy.weft.dev");
        var missing = Single(await RunAsync(), Name);
        Assert.False(missing.Ok);
        Assert.Equal("CRD authorizationpolicies.policy.weft.dev (AuthorizationPolicy) is not installed: the controller reads no AuthorizationPolicy, so every workload answers to the default inbound policy alone", missing.Detail);
        Assert.Contains("weft install --crds | kubectl apply --server-side -f -", missing.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_AuthorizationPolicy_crd_that_does_not_serve_v1alpha1_fails()
    {
        var crd = Weft.Api.ManifestJson.Documents(await File.ReadAllTextAsync(SharedFiles.WeftCrd)).Single();
        crd["spec"]!["versions"]![0]!["served"] = false;
        var file = Path.Combine(_work, "authorizationpolicies.yaml");
        await File.WriteAllTextAsync(file, crd.ToJsonString());
        await RestartAsync([SharedFiles.GatewayApiCrds, file]);

        var result = Single(await RunAsync(), "crd/authorizationpolicies.policy.weft.dev");
        Assert.False(result.Ok);
        Assert.Equal("CRD authorizationpolicies.policy.weft.dev serves no version; Weft reads policy.weft.dev/v1alpha1", result.Detail);
    }

    [Fact]
    public async Task Missing_namespace_fails()
    {
        var result = Single(await RunAsync(), "namespace");
        Assert.False(result.Ok);
        Assert.Equal($"namespace {Ns} does not exist", result.Detail);
        Assert.Contains("weft install", result.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_lease_fails_with_the_logs_hint()
    {
        var result = Single(await RunAsync(), "lease");
        Assert.False(result.Ok);
        Assert.Equal($"Lease {Ns}/weft-controller does not exist: no controller has run", result.Detail);
        Assert.Contains($"kubectl -n {Ns} logs deploy/weft-controller", result.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_stale_lease_fails_with_the_logs_hint()
    {
        await SeedHealthyAsync(renewed: DateTime.UtcNow.AddMinutes(-5));
        var result = Single(await RunAsync(), "lease");
        Assert.False(result.Ok);
        Assert.StartsWith($"Lease {Ns}/weft-controller is stale: held by someone, last renewed 30", result.Detail, StringComparison.Ordinal);
        Assert.EndsWith("beyond its 15s", result.Detail, StringComparison.Ordinal);
        Assert.Contains("logs deploy/weft-controller", result.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_empty_lease_fails()
    {
        await SeedHealthyAsync(holder: "");
        var result = Single(await RunAsync(), "lease");
        Assert.False(result.Ok);
        Assert.Equal($"Lease {Ns}/weft-controller is held by no one: no controller is leading", result.Detail);
    }

    [Fact]
    public async Task A_seeded_cluster_passes_the_root_and_lease_checks()
    {
        await SeedHealthyAsync();
        var results = await RunAsync();
        foreach (var name in new[] { "namespace", "lease", "ca-secret", "ca-validity", "trust-bundle" })
        {
            Assert.True(Single(results, name).Ok, Single(results, name).Detail);
        }
    }

    [Fact]
    public async Task Missing_ca_secret_fails()
    {
        await _client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = Ns } });
        var result = Single(await RunAsync(), "ca-secret");
        Assert.False(result.Ok);
        Assert.Equal($"Secret {Ns}/weft-ca does not exist", result.Detail);
        Assert.Contains("the controller makes it on its first start", result.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_ca_secret_whose_certificate_is_not_a_ca_fails()
    {
        await SeedHealthyAsync();
        await _client.CoreV1.DeleteNamespacedSecretAsync(WeftInstallation.CaSecretName, Ns);
        using var key = System.Security.Cryptography.ECDsa.Create();
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=leaf", key, System.Security.Cryptography.HashAlgorithmName.SHA256);
        using var leaf = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        await _client.CoreV1.CreateNamespacedSecretAsync(new V1Secret
        {
            Metadata = new V1ObjectMeta { Name = WeftInstallation.CaSecretName },
            Type = "kubernetes.io/tls",
            Data = new Dictionary<string, byte[]> { ["tls.crt"] = Encoding.ASCII.GetBytes(leaf.ExportCertificatePem()), ["tls.key"] = Encoding.ASCII.GetBytes(key.ExportPkcs8PrivateKeyPem()) },
        }, Ns);
        var result = Single(await RunAsync(), "ca-secret");
        Assert.False(result.Ok);
        Assert.Equal($"Secret {Ns}/weft-ca: tls.crt is not a CA certificate (basic constraints CA:false)", result.Detail);
    }

    [Fact]
    public async Task A_ca_secret_of_another_type_fails()
    {
        await SeedHealthyAsync();
        var secret = await _client.CoreV1.ReadNamespacedSecretAsync(WeftInstallation.CaSecretName, Ns);
        await _client.CoreV1.DeleteNamespacedSecretAsync(WeftInstallation.CaSecretName, Ns);
        await _client.CoreV1.CreateNamespacedSecretAsync(new V1Secret { Metadata = new V1ObjectMeta { Name = WeftInstallation.CaSecretName }, Type = "Opaque", Data = secret.Data }, Ns);
        var result = Single(await RunAsync(), "ca-secret");
        Assert.False(result.Ok);
        Assert.Equal($"Secret {Ns}/weft-ca is of type Opaque, not kubernetes.io/tls", result.Detail);
    }

    [Fact]
    public async Task An_expired_root_fails_and_one_expiring_within_7_days_too()
    {
        await SeedHealthyAsync();
        var secret = await _client.CoreV1.ReadNamespacedSecretAsync(WeftInstallation.CaSecretName, Ns);
        using var root = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(Encoding.ASCII.GetString(secret.Data["tls.crt"]));
        var notAfter = new DateTimeOffset(root.NotAfter.ToUniversalTime());

        var expired = Single(await RunAsync(new FixedTime(notAfter.AddDays(1))), "ca-validity");
        Assert.False(expired.Ok);
        Assert.StartsWith("the mesh root expired on ", expired.Detail, StringComparison.Ordinal);
        Assert.Contains("rotate the mesh root", expired.Hint, StringComparison.Ordinal);

        var expiring = Single(await RunAsync(new FixedTime(notAfter.AddDays(-3))), "ca-validity");
        Assert.False(expiring.Ok);
        Assert.StartsWith("the mesh root expires in 3 days", expiring.Detail, StringComparison.Ordinal);

        Assert.True(Single(await RunAsync(new FixedTime(notAfter.AddDays(-30))), "ca-validity").Ok);
    }

    [Fact]
    public async Task A_trust_bundle_without_the_root_fails()
    {
        await SeedHealthyAsync();
        var other = MeshCertificateAuthority.CreateRootPem(new CaOptions(), TimeProvider.System);
        await KubeCaSecret.PublishBundleAsync(_client, Ns, WeftInstallation.TrustBundleConfigMapName, other.CertificatePem, CancellationToken.None);
        var result = Single(await RunAsync(), "trust-bundle");
        Assert.False(result.Ok);
        Assert.Equal($"ConfigMap {Ns}/weft-trust-bundle (ca.crt) does not hold the mesh root", result.Detail);
        Assert.Contains("the controller publishes it when running", result.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_webhook_configuration_fails()
    {
        await SeedHealthyAsync();
        var result = Single(await RunAsync(), "webhook-configuration");
        Assert.False(result.Ok);
        Assert.Equal("MutatingWebhookConfiguration weft-sidecar-injector does not exist", result.Detail);
        Assert.Contains("weft install", result.Hint, StringComparison.Ordinal);
    }

    /// <summary>Needs the stand-in to serve admissionregistration.k8s.io.</summary>
    [Fact]
    public async Task An_empty_ca_bundle_fails_with_the_controller_hint()
    {
        await SeedHealthyAsync();
        var configuration = InstallManifest.Objects(new InstallOptions { Namespace = Ns, Image = "example/weft:1" }).Single(o => o["kind"]!.GetValue<string>() == "MutatingWebhookConfiguration");
        await KubeResource.Of(configuration)!.CreateAsync(_client, configuration, CancellationToken.None);
        var result = Single(await RunAsync(), "webhook-ca-bundle");
        Assert.False(result.Ok);
        Assert.StartsWith("caBundle does not hold the mesh root", result.Detail, StringComparison.Ordinal);
        Assert.Contains("the controller fills it when running", result.Hint, StringComparison.Ordinal);
    }

    /// <summary>
    /// A mesh that <c>weft up DIR --kubeconfig</c> runs has its control plane in that process and starts its pods
    /// injected: there is no controller Deployment and no injector webhook, and their checks do not apply. Each says so,
    /// naming the run as the node's Lease does; every other check passes, so weft check exits 0.
    /// </summary>
    [Fact]
    public async Task Of_a_weft_up_mesh_the_controller_Deployment_and_the_injector_webhook_do_not_apply_and_check_exits_0()
    {
        await RestartAsync([SharedFiles.GatewayApiCrds, SharedFiles.WeftCrd], serviceCidr: "127.0.0.0/8"); // weft up's Services in 127.B.1.0/24
        var manifests = Directory.CreateDirectory(Path.Combine(_work, "canary")).FullName;
        foreach (var file in Directory.EnumerateFiles(Path.Combine(SharedFiles.Repository, "examples", "canary"), "*.yaml"))
        {
            File.Copy(file, Path.Combine(manifests, Path.GetFileName(file)));
        }

        var ready = Path.Combine(_work, "ready.json");
        var up = _children.Start(["up", manifests, "--kubeconfig", Kubeconfig, "--ready-file", ready, "--isolation", "process"], out var upOutput);
        await WeftChildren.WaitAsync(() => File.Exists(ready) || up.HasExited, TimeSpan.FromSeconds(120), () => upOutput.ToString());
        Assert.False(up.HasExited, upOutput.ToString());

        // The in-process controller leads (its Lease) and publishes the trust bundle soon after weft up is ready.
        var (code, text) = (-1, "");
        await WeftChildren.WaitAsync(
            () =>
            {
                (code, text) = _children.RunAsync(["check", "--kubeconfig", Kubeconfig]).GetAwaiter().GetResult();
                return code == 0;
            },
            TimeSpan.FromSeconds(60),
            () => $"weft check exit {code}:\n{text}");
        var run = $"the control plane is the weft up on machine {Environment.MachineName} (pid {up.Id}), as Lease kube-node-lease/weft-local says";
        Assert.Contains($"- Deployment {Ns}/weft-controller does not apply: {run}", text, StringComparison.Ordinal);
        Assert.Contains($"- MutatingWebhookConfiguration weft-sidecar-injector does not apply: {run}, which injects its pods itself", text, StringComparison.Ordinal);
        Assert.Contains($"✓ Lease {Ns}/weft-controller held by weft-up-", text, StringComparison.Ordinal);
        Assert.Contains("Status check results are ✓ (2 did not apply)", text, StringComparison.Ordinal);
        Assert.DoesNotContain("install Weft", text, StringComparison.Ordinal);

        var (jsonCode, json) = await _children.RunAsync(["check", "--kubeconfig", Kubeconfig, "-o", "json"]);
        Assert.True(jsonCode == 0, json);
        var skipped = JsonNode.Parse(json)!["checks"]!.AsArray().Where(c => c!["skipped"]?.GetValue<bool>() == true).Select(c => c!["name"]!.GetValue<string>());
        Assert.Equal(["deployment", "webhook-configuration"], skipped);
    }

    /// <summary>
    /// Only a live weft up makes those checks not apply: a node Lease that expired (a run that was killed) or that no
    /// weft up wrote runs no control plane, and the Deployment and webhook are missing as on a cluster without Weft. Nor
    /// does a fresh Lease of this machine whose process is gone (a weft up killed less than the Lease's 40 s ago), or
    /// whose pid is another process's now, nor one whose machine is no host name.
    /// </summary>
    [Theory]
    [InlineData("live weft up", 5, true)]
    [InlineData("killed weft up", 300, false)]
    [InlineData("no weft up", 5, false)]
    [InlineData("weft up just killed on this machine", 5, false)]
    [InlineData("pid another process's on this machine", 5, false)]
    [InlineData("machine no host name", 5, false)]
    public async Task The_controller_Deployment_and_injector_webhook_do_not_apply_only_while_a_weft_up_renews_the_node_Lease(string lease, int renewedSecondsAgo, bool skipped)
    {
        await SeedHealthyAsync();
        var run = lease switch
        {
            "no weft up" => null,
            "weft up just killed on this machine" => $"{Environment.MachineName}/{await ExitedPidAsync()}/1700000000000",
            "pid another process's on this machine" => $"{Environment.MachineName}/{Environment.ProcessId}/1700000000000",
            "machine no host name" => "laptop\u001b]0;owned\u0007/4242/1700000000000",
            _ => "laptop/4242/1700000000000",
        };
        var annotations = run is null ? null : new Dictionary<string, string> { ["weft.dev/run"] = run };
        await _client.CoordinationV1.CreateNamespacedLeaseAsync(new V1Lease
        {
            Metadata = new V1ObjectMeta { Name = "weft-local", Annotations = annotations },
            Spec = new V1LeaseSpec { HolderIdentity = "weft-local", LeaseDurationSeconds = 40, RenewTime = DateTime.UtcNow.AddSeconds(-renewedSecondsAgo) },
        }, "kube-node-lease");

        var results = await RunAsync();
        foreach (var name in new[] { "deployment", "webhook-configuration" })
        {
            var result = Single(results, name);
            Assert.Equal(skipped, result.Skipped);
            Assert.Equal(skipped, result.Ok);
            if (skipped)
            {
                Assert.EndsWith("does not apply: the control plane is the weft up on machine laptop (pid 4242), as Lease kube-node-lease/weft-local says"
                    + (name == "deployment" ? "" : ", which injects its pods itself"), result.Detail, StringComparison.Ordinal);
            }
            else
            {
                Assert.Contains("install Weft", result.Hint, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public async Task Weft_check_exits_1_on_failures_and_2_without_a_kubeconfig()
    {
        var (failed, text) = await _children.RunAsync(["check", "--kubeconfig", Kubeconfig]);
        Assert.Equal(1, failed);
        Assert.Contains($"✗ namespace {Ns} does not exist", text, StringComparison.Ordinal);
        Assert.Contains("    hint: ", text, StringComparison.Ordinal);

        var (json, jsonText) = await _children.RunAsync(["check", "--kubeconfig", Kubeconfig, "-o", "json"]);
        Assert.Equal(1, json);
        var report = JsonNode.Parse(jsonText)!;
        Assert.False(report["ok"]!.GetValue<bool>());
        Assert.Contains(report["checks"]!.AsArray(), c => c!["name"]!.GetValue<string>() == "namespace" && !c["ok"]!.GetValue<bool>());

        var (missing, _) = await _children.RunAsync(["check", "--kubeconfig", Path.Combine(_work, "nothing-here")]);
        Assert.Equal(2, missing);
    }

    private async Task StartAsync(string[] crds, string? serviceCidr = null)
    {
        _api = await KubeApiServer.StartAsync(new KubeApiServerOptions { CrdPaths = crds, WebhookServiceAddresses = _services, ServiceCidr = serviceCidr ?? new KubeApiServerOptions().ServiceCidr });
        _api.WriteKubeconfig(Kubeconfig);
        _client = new k8s.Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(Kubeconfig));
    }

    private async Task RestartAsync(string[] crds, string? serviceCidr = null)
    {
        _client.Dispose();
        await _api.DisposeAsync();
        await StartAsync(crds, serviceCidr);
    }

    // A stand-in with the vendored CRDs, one of them edited.
    private async Task RestartWithCrdAsync(string file, Action<JsonObject> edit)
    {
        var directory = Directory.CreateDirectory(Path.Combine(_work, "crds")).FullName;
        foreach (var crd in GatewayApiCrds.All)
        {
            var text = GatewayApiCrds.Text(crd);
            if (crd.File == file)
            {
                var obj = Weft.Api.ManifestJson.Documents(text).Single();
                edit(obj);
                text = obj.ToJsonString();
            }

            await File.WriteAllTextAsync(Path.Combine(directory, crd.File), text);
        }

        await RestartAsync([directory]);
    }

    // The pid of a process that has exited (a weft up killed a moment ago).
    private static async Task<int> ExitedPidAsync()
    {
        using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("true") { UseShellExecute = false })!;
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(deadline.Token);
        return process.Id;
    }

    // Namespace, mesh root Secret, trust bundle and a Lease as a running controller leaves them.
    private async Task SeedHealthyAsync(DateTime? renewed = null, string holder = "someone")
    {
        await _client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = Ns } });
        var root = await KubeCaSecret.LoadOrCreateAsync(_client, Ns, WeftInstallation.CaSecretName, new CaOptions(), TimeProvider.System, CancellationToken.None);
        await KubeCaSecret.PublishBundleAsync(_client, Ns, WeftInstallation.TrustBundleConfigMapName, root.CertificatePem, CancellationToken.None);
        var now = renewed ?? DateTime.UtcNow;
        await _client.CoordinationV1.CreateNamespacedLeaseAsync(new V1Lease
        {
            Metadata = new V1ObjectMeta { Name = WeftInstallation.ControllerName },
            Spec = new V1LeaseSpec { HolderIdentity = holder, LeaseDurationSeconds = 15, AcquireTime = now, RenewTime = now },
        }, Ns);
    }

    private async Task ApplyInstallAsync()
    {
        var (code, manifest) = await _children.RunAsync(["install", "--crds"]);
        Assert.True(code == 0, manifest);
        foreach (var obj in Weft.Api.ManifestJson.Documents(manifest).Where(o => o["kind"]!.GetValue<string>() != "CustomResourceDefinition"))
        {
            var resource = KubeResource.Of(obj)!;
            await resource.CreateIfMissingAsync(_client, obj, CancellationToken.None);
        }
    }

    private Task<IReadOnlyList<CheckResult>> RunAsync(TimeProvider? time = null) =>
        ClusterCheck.RunAsync(new CheckContext(_client, Ns, "default", time ?? TimeProvider.System), CancellationToken.None);

    private static CheckResult Single(IReadOnlyList<CheckResult> results, string name) =>
        results.SingleOrDefault(r => r.Name == name) ?? throw new Xunit.Sdk.XunitException($"no check {name} among {string.Join(", ", results.Select(r => r.Name))}");

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
