using Weft.Cli.Commands;

namespace Weft.Cli.Tests.Commands;

/// <summary>
/// <c>weft explain --from NS/DEPLOY</c>, <c>weft authz</c> and <c>weft validate</c> on examples/authz: each prints the
/// decision the receiving sidecars would make (the planner's, tested in Weft.Routing.Tests) for the README's requests.
/// </summary>
public sealed class AuthzCommandTests
{

    private static (int Exit, string Out, string Err) Explain(string from, string method, string url, string defaultPolicy = "all-unauthenticated")
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = ExplainCommand.Run(from, method, url, [], ExamplePaths, stdout, stderr, defaultInboundPolicy: defaultPolicy);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    private static string[] ExamplePaths => [Path.Combine(RepositoryRoot(), "examples", "authz")];

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Weft.slnx")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("no Weft.slnx above " + AppContext.BaseDirectory);
    }

    [Theory]
    [InlineData("shop/client", "POST", "http://cart.shop/orders", "allowed", "allowed by ALLOW policy shop/cart-orders rule 0")]
    [InlineData("shop/client", "GET", "http://cart.shop/orders", "DENIED", "no ALLOW policy rule matched")]
    [InlineData("shop/intruder", "POST", "http://cart.shop/orders", "DENIED", "no ALLOW policy rule matched")]
    [InlineData("shop/intruder", "GET", "http://cart.shop/browse", "allowed", "allowed by ALLOW policy shop/cart-browse rule 0")]
    [InlineData("shop/client", "GET", "http://secrets.vault/", "allowed", "allowed by ALLOW policy vault/allow-shop-client rule 0")]
    [InlineData("shop/intruder", "GET", "http://secrets.vault/", "DENIED", "no ALLOW policy rule matched")]
    public void Explain_from_a_deployment_says_what_each_backend_pod_decides_for_its_identity_and_the_outcome_the_caller_gets(string from, string method, string url, string verdict, string reason)
    {
        var (exit, output, error) = Explain(from, method, url);

        Assert.True(exit == 0, error + output);
        Assert.Contains($"caller:   spiffe://cluster.local/ns/shop/sa/{from[(from.IndexOf('/', StringComparison.Ordinal) + 1)..]}", output, StringComparison.Ordinal);
        Assert.Matches($@"authz:  {verdict} at \S+: [^\n]*{System.Text.RegularExpressions.Regex.Escape(reason)}", output);
        // A denied caller gets the destination sidecar's 403, whatever the route decided; an allowed one, the route's forward.
        Assert.Matches(verdict == "DENIED" ? @"outcome:  403 forbidden by the destination's sidecar[^\n]*\(routed: forward to " : @"outcome:  forward to ", output);
    }

    [Fact]
    public void Explain_with_an_unknown_default_inbound_policy_is_a_usage_error()
    {
        var (exit, _, error) = Explain("shop/intruder", "GET", "http://cart.shop/browse", "open-sesame");

        Assert.Equal(2, exit);
        Assert.Contains("--default-inbound-policy 'open-sesame' is not one of", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Explain_from_a_namespace_alone_decides_no_authorization()
    {
        var (exit, output, _) = Explain("shop", "GET", "http://cart.shop/browse");

        Assert.Equal(0, exit);
        Assert.DoesNotContain("authz:", output, StringComparison.Ordinal);
        Assert.DoesNotContain("caller:", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Explain_from_an_unknown_deployment_is_a_usage_error()
    {
        var (exit, _, error) = Explain("shop/nobody", "GET", "http://cart.shop/");

        Assert.Equal(2, exit);
        Assert.Contains("no Deployment shop/nobody", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Authz_lists_the_policies_of_a_workload_in_evaluation_order_and_its_default()
    {
        var stdout = new StringWriter();
        var exit = AuthzCommand.Run("vault/secrets", ExamplePaths, "all-unauthenticated", stdout, TextWriter.Null);
        var output = stdout.ToString();

        Assert.Equal(0, exit);
        Assert.Contains("identity spiffe://cluster.local/ns/vault/sa/secrets", output, StringComparison.Ordinal);
        Assert.Contains("default:  deny: nobody", output, StringComparison.Ordinal);
        Assert.Contains("ALLOW vault/allow-shop-client: every request and connection to the workload", output, StringComparison.Ordinal);
        Assert.Contains("rule 0: from service account shop/client", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Authz_shows_a_route_scoped_policy_with_its_rule_and_methods()
    {
        var stdout = new StringWriter();
        Assert.Equal(0, AuthzCommand.Run("shop/cart", ExamplePaths, "all-unauthenticated", stdout, TextWriter.Null));
        var output = stdout.ToString();

        Assert.Contains("default:  all-unauthenticated", output, StringComparison.Ordinal);
        Assert.Contains("ALLOW shop/cart-orders: requests matching HTTPRoute cart rule orders", output, StringComparison.Ordinal);
        Assert.Contains("PathPrefix /orders", output, StringComparison.Ordinal);
        Assert.Contains("method POST", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Authz_of_a_workload_no_policy_targets_says_the_default_decides()
    {
        var stdout = new StringWriter();
        Assert.Equal(0, AuthzCommand.Run("shop/client", ExamplePaths, "same-namespace", stdout, TextWriter.Null));

        Assert.Contains("default:  same-namespace: callers with a mesh identity in namespace shop", stdout.ToString(), StringComparison.Ordinal);
        Assert.Contains("policies: none apply", stdout.ToString(), StringComparison.Ordinal);
    }

    /// <summary>
    /// L7RuleOnL4Workload is the one Accepted=False reason with which a policy applies (at L4): authz lists it among the
    /// workload's policies, saying so, never under "not applied"; a policy that does not apply names its Pod selector target.
    /// </summary>
    [Fact]
    public void Authz_lists_an_L7_rule_on_an_l4_workload_as_applied_at_L4_not_as_not_applied()
    {
        var dir = Directory.CreateTempSubdirectory("weft-authz-l4-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "p.yaml"), """
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: db, namespace: shop}
                spec:
                  replicas: 1
                  selector: {matchLabels: {app: db}}
                  template:
                    metadata:
                      labels: {app: db}
                      annotations: {weft.dev/mesh: l4}
                    spec:
                      containers:
                      - {name: db, image: registry.k8s.io/gateway-api/echo-advanced:v1.5.1, args: [--port=8080], ports: [{containerPort: 8080}]}
                ---
                apiVersion: policy.weft.dev/v1alpha1
                kind: AuthorizationPolicy
                metadata: {name: no-delete, namespace: shop}
                spec:
                  targetRefs: [{group: "", kind: Pod, selector: {matchLabels: {app: db}}}]
                  action: DENY
                  rules: [{sources: [{type: ServiceAccount, serviceAccount: {namespace: shop, name: client}}], http: {methods: [DELETE]}}]
                ---
                apiVersion: policy.weft.dev/v1alpha1
                kind: AuthorizationPolicy
                metadata: {name: nobody, namespace: shop}
                spec:
                  targetRefs: [{group: "", kind: Pod, selector: {matchLabels: {app: nothing}}}]
                  action: DENY
                  rules: [{}]
                """);
            var stdout = new StringWriter();
            Assert.Equal(0, AuthzCommand.Run("shop/db", [dir], "all-unauthenticated", stdout, TextWriter.Null));
            var output = stdout.ToString();

            Assert.Contains("DENY  shop/no-delete: every request and connection to the workload", output, StringComparison.Ordinal);
            Assert.Contains("  at L4 on this l4 workload (L7RuleOnL4Workload): a DENY rule matches on its other parts", output, StringComparison.Ordinal);
            Assert.DoesNotContain("not applied: shop/no-delete", output, StringComparison.Ordinal);
            Assert.Contains("not applied: shop/nobody target Pod selector: NoMatchingWorkloads: ", output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Validate_prints_each_policy_s_targets_and_conditions_and_exits_0_when_all_apply()
    {
        var stdout = new StringWriter();
        var exit = ValidateCommand.Run(ExamplePaths, "table", stdout, TextWriter.Null, TimeProvider.System);
        var output = stdout.ToString();

        Assert.Equal(0, exit);
        Assert.Contains("AuthorizationPolicy shop/cart-orders (generation 1)", output, StringComparison.Ordinal);
        Assert.Contains("target HTTPRoute shop/cart section orders", output, StringComparison.Ordinal);
        Assert.Contains("AuthorizationPolicy vault/allow-shop-client", output, StringComparison.Ordinal);
        Assert.Contains("pods: vault/secrets-", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_of_a_policy_whose_target_is_missing_exits_1_and_yaml_has_its_ancestor_status()
    {
        var dir = Directory.CreateTempSubdirectory("weft-authz-validate-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "p.yaml"), """
                apiVersion: policy.weft.dev/v1alpha1
                kind: AuthorizationPolicy
                metadata: {name: p, namespace: shop}
                spec:
                  targetRefs: [{group: "", kind: Service, name: missing}]
                  action: ALLOW
                  rules: [{}]
                """);
            var stdout = new StringWriter();
            var exit = ValidateCommand.Run([dir], "yaml", stdout, TextWriter.Null, TimeProvider.System);

            Assert.Equal(1, exit);
            Assert.Contains("ancestors:", stdout.ToString(), StringComparison.Ordinal);
            Assert.Contains("TargetNotFound", stdout.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
