namespace Weft.Cli.Tests.Infrastructure;

/// <summary>
/// A namespace and a Deployment (no replicas) whose weft.dev settings Weft skips: the namespace's outbound policy and the
/// pod template's level are values Weft does not know; its mTLS mode is one it reads. For weft validate and weft up.
/// </summary>
internal static class SkippedSettings
{
    public const string Manifests = """
        apiVersion: v1
        kind: Namespace
        metadata: {name: shop, labels: {weft.dev/outbound-policy: registry_only}}
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web, namespace: shop}
        spec:
          replicas: 0
          selector: {matchLabels: {app: web}}
          template:
            metadata: {labels: {app: web}, annotations: {weft.dev/mtls: Permissive, weft.dev/mesh: l8}}
            spec: {containers: [{name: web, image: registry.k8s.io/gateway-api/echo-advanced:v1.5.1}]}
        """;

    public const string NamespaceProblem = "Namespace shop: label weft.dev/outbound-policy: 'registry_only' is not one of allow-any, registry-only; skipped";

    public const string DeploymentProblem = "Deployment shop/web: pod template annotation weft.dev/mesh: 'l8' is not one of off, l4, l7; skipped";
}
