using Weft.Api.Model;

namespace Weft.Api.Tests;

/// <summary>Small manifest builders and assertions shared by the tests.</summary>
internal static class Manifests
{
    public const string Ns = "gateway-conformance-mesh";

    /// <summary>An HTTPRoute attached to Service echo:80 with the given YAML under spec (indented by the caller at 2 spaces).</summary>
    public static string HttpRoute(string specBody, string name = "bad") => $"""
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata:
          name: {name}
          namespace: {Ns}
        spec:
          parentRefs:
          - group: ""
            kind: Service
            name: echo
            port: 80
        {specBody}
        """;

    /// <summary>An HTTPRoute with one rule whose body (below "- ") is given, plus a backend echo-v1:8080 unless the body says otherwise.</summary>
    public static string HttpRule(string ruleBody) => HttpRoute($"""
          rules:
          - {Indent(ruleBody, 4).TrimStart()}
        """);

    public static string GrpcRoute(string specBody) => $"""
        apiVersion: gateway.networking.k8s.io/v1
        kind: GRPCRoute
        metadata:
          name: bad
          namespace: {Ns}
        spec:
          parentRefs:
          - group: ""
            kind: Service
            name: echo
            port: 7070
        {specBody}
        """;

    public static string Indent(string text, int spaces)
    {
        var pad = new string(' ', spaces);
        return string.Join("\n", text.Split('\n').Select((l, i) => i == 0 || l.Length == 0 ? l : pad + l));
    }

    public static LoadResult Load(string yaml) => ManifestLoader.LoadText(yaml, "test.yaml");

    /// <summary>Asserts the text loads into exactly one object with no problems, and returns it.</summary>
    public static T LoadOne<T>(string yaml) where T : KubeObject
    {
        var result = Load(yaml);
        Assert.True(result.Problems.Count == 0, string.Join("\n", result.Problems));
        return Assert.IsType<T>(Assert.Single(result.Objects));
    }

    /// <summary>Asserts the object is rejected with a problem at the field path whose message contains the text.</summary>
    public static ManifestProblem AssertRejected(string yaml, string fieldPath, string message)
    {
        var result = Load(yaml);
        Assert.Empty(result.Objects);
        var problem = result.Problems.FirstOrDefault(p => p.FieldPath == fieldPath && p.Message.Contains(message, StringComparison.Ordinal));
        Assert.True(problem is not null,
            $"expected a problem at {fieldPath} containing '{message}', got:\n{string.Join("\n", result.Problems)}");
        Assert.Equal(ProblemKind.Invalid, problem.Kind);
        Assert.True(problem.Line > 0);
        return problem;
    }
}
