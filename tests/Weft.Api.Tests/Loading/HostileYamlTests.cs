using System.Text;
using Weft.Api.Loading;
using YamlDotNet.Core;

namespace Weft.Api.Tests.Loading;

/// <summary>
/// Whatever a file holds, loading it ends in objects and problems: never an exception, a stack overflow or an
/// exponential walk (issue 15, finding 7).
/// </summary>
public sealed class HostileYamlTests
{
    [Fact]
    public void A_parser_failure_inside_YamlDotNet_is_a_syntax_error_with_its_line()
    {
        var result = ManifestLoader.LoadText("a: [b\nc: d\n", "x.yaml");

        var problem = Assert.Single(result.Problems);
        Assert.Equal(ProblemKind.Syntax, problem.Kind);
        Assert.Equal("x.yaml", problem.File);
        Assert.Equal(2, problem.Line);
        Assert.StartsWith("x.yaml:2:", problem.ToString(), StringComparison.Ordinal);
        Assert.Contains("syntax error", problem.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_parser_failure_loses_only_its_document()
    {
        const string text = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: first\n---\na: [b\nc: d\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: after\n";

        var result = ManifestLoader.LoadText(text, "x.yaml");

        Assert.Equal(["first", "after"], result.Objects.Select(o => o.Name));
        Assert.Equal(ProblemKind.Syntax, Assert.Single(result.Problems).Kind);
    }

    [Theory]
    [InlineData("flow sequences", "[", "]")]
    [InlineData("flow mappings", "{a: ", "}")]
    public void Nesting_deeper_than_the_limit_is_a_syntax_error_not_a_stack_overflow(string _, string open, string close)
    {
        var depth = 100_000;
        var text = string.Concat(Enumerable.Repeat(open, depth)) + "x" + string.Concat(Enumerable.Repeat(close, depth));

        var result = ManifestLoader.LoadText(text, "deep.yaml");

        var problem = Assert.Single(result.Problems);
        Assert.Equal(ProblemKind.Syntax, problem.Kind);
        Assert.Contains($"deeper than {BoundedParser.MaxDepth} levels", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Nesting_deeper_than_the_limit_in_block_style_is_a_syntax_error()
    {
        var text = new StringBuilder();
        for (var i = 0; i < 2_000; i++)
        {
            text.Append(' ', i).Append("a:\n");
        }

        var result = ManifestLoader.LoadText(text.ToString(), "deep.yaml");

        Assert.Contains($"deeper than {BoundedParser.MaxDepth} levels", Assert.Single(result.Problems).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Nesting_within_the_limit_is_read()
    {
        var depth = BoundedParser.MaxDepth - 10;
        var value = string.Concat(Enumerable.Repeat("[", depth)) + "x" + string.Concat(Enumerable.Repeat("]", depth));
        var text = $"apiVersion: v1\nkind: Secret\nmetadata:\n  name: deep\ndata:\n  deep: {value}\n";

        var result = ManifestLoader.LoadText(text, "deep.yaml");

        Assert.Empty(result.Problems);
        Assert.Single(result.Skipped);
    }

    [Fact]
    public void Billion_laughs_aliases_are_refused_before_the_document_is_walked()
    {
        var result = ManifestLoader.LoadText(BillionLaughs(levels: 30), "lol.yaml");

        var problem = Assert.Single(result.Problems);
        Assert.Equal(ProblemKind.Syntax, problem.Kind);
        Assert.Contains("billion laughs", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Billion_laughs_aliases_are_refused_when_read_as_JSON_too()
    {
        Assert.ThrowsAny<YamlException>(() => ManifestJson.Documents(BillionLaughs(levels: 30)));
    }

    [Fact]
    public void An_alias_deeper_than_the_nesting_limit_once_expanded_is_refused()
    {
        var depth = (BoundedParser.MaxDepth / 2) + 10;
        var nested = string.Concat(Enumerable.Repeat("[", depth)) + "x" + string.Concat(Enumerable.Repeat("]", depth));
        var text = $"a: &deep {nested}\nb: {string.Concat(Enumerable.Repeat("[", depth))}*deep{string.Concat(Enumerable.Repeat("]", depth))}\n";

        var problem = Assert.Single(ManifestLoader.LoadText(text, "x.yaml").Problems);
        Assert.Contains("deeper than", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_alias_to_the_node_that_contains_it_is_refused()
    {
        var problems = ManifestLoader.LoadText("a: &loop [1, *loop]\n", "x.yaml").Problems;

        Assert.Equal(ProblemKind.Syntax, Assert.Single(problems).Kind);
    }

    [Fact]
    public void An_alias_before_its_anchor_is_refused_so_two_cannot_make_a_cycle()
    {
        const string text = "- &y [*x]\n- &x [*y]\n";

        Assert.Equal(ProblemKind.Syntax, Assert.Single(ManifestLoader.LoadText(text, "x.yaml").Problems).Kind);
        Assert.ThrowsAny<YamlException>(() => ManifestJson.Documents(text)); // this one overflowed the stack (found by the fuzz test)
    }

    [Fact]
    public void Anchors_and_aliases_in_ordinary_use_are_read_as_kubectl_reads_them()
    {
        const string text = """
            apiVersion: v1
            kind: Service
            metadata:
              name: echo
              namespace: ns
              labels: &labels {app: echo, tier: web}
            spec:
              selector: *labels
              ports:
              - {name: http, port: 80}
            """;

        var result = ManifestLoader.LoadText(text, "svc.yaml");

        Assert.Empty(result.Problems);
        var service = Assert.IsType<Model.Service>(Assert.Single(result.Objects));
        Assert.Equal("web", service.Spec.Selector!["tier"]);
    }

    [Fact]
    public void A_label_key_that_is_not_a_string_is_a_type_error_not_a_crash()
    {
        const string text = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: n\n  labels: {[a, b]: c}\n";

        var problem = Assert.Single(ManifestLoader.LoadText(text, "x.yaml").Problems);

        Assert.Equal(ProblemKind.Invalid, problem.Kind);
        Assert.Contains("must be of type string", problem.Message, StringComparison.Ordinal);
    }

    /// <summary>Each level's list holds ten aliases of the level below: ten to the power of levels nodes in a few hundred bytes.</summary>
    internal static string BillionLaughs(int levels)
    {
        var text = new StringBuilder("l0: &l0 lol\n");
        for (var i = 1; i <= levels; i++)
        {
            text.Append($"l{i}: &l{i} [").AppendJoin(", ", Enumerable.Repeat($"*l{i - 1}", 10)).Append("]\n");
        }

        return text.ToString();
    }
}
