namespace Weft.Api.Tests.Loading;

/// <summary>A syntax error in one document of a multi-document file loses only that document.</summary>
public sealed class MultiDocumentSyntaxErrorTests
{
    private const string Broken = """
        apiVersion: v1
        kind: Namespace
        metadata:
          name: first
        ---
        apiVersion: v1
        kind: Namespace
        metadata:
          name: second
        ---
        apiVersion: v1
        kind: Namespace
        metadata:
          name: broken
          labels: {a: b
        ---
        apiVersion: v1
        kind: Namespace
        metadata:
          name: after
        """;

    [Fact]
    public void Documents_before_a_syntax_error_are_kept()
    {
        var result = Manifests.Load(Broken);

        Assert.Equal(["first", "second"], result.Objects.Select(o => o.Name).Take(2));
        Assert.DoesNotContain(result.Objects, o => o.Name == "broken");
    }

    [Fact]
    public void Syntax_error_is_reported_with_its_line_and_column_and_says_where_reading_resumed()
    {
        var problem = Assert.Single(Manifests.Load(Broken).Problems);

        Assert.Equal(ProblemKind.Syntax, problem.Kind);
        Assert.Equal(16, problem.Line);
        Assert.NotNull(problem.Column);
        Assert.EndsWith("(this document was not read; reading resumed at the '---' on line 16)", problem.Message, StringComparison.Ordinal);
        Assert.StartsWith("test.yaml:16:", problem.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Documents_after_a_syntax_error_are_read_from_the_next_document_marker_with_file_line_numbers()
    {
        var result = Manifests.Load(Broken);

        var after = Assert.Single(result.Objects, o => o.Name == "after");
        Assert.Equal(17, after.Source.Line);
        Assert.Equal(20, after.Source.LineOf("metadata.name"));
    }

    [Fact]
    public void Syntax_error_in_the_last_document_keeps_every_document_before_it()
    {
        var result = Manifests.Load("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: b\n    bad: indent\n");

        Assert.Equal("a", Assert.Single(result.Objects).Name);
        var problem = Assert.Single(result.Problems);
        Assert.Equal((ProblemKind.Syntax, 10), (problem.Kind, problem.Line));
        Assert.DoesNotContain("resumed", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Each_broken_document_is_its_own_problem()
    {
        var result = Manifests.Load("kind: [\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\nkind: \"open\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: b}\n");

        Assert.Equal(["a", "b"], result.Objects.Select(o => o.Name));
        Assert.Equal(2, result.Problems.Count);
        Assert.All(result.Problems, p => Assert.Equal(ProblemKind.Syntax, p.Kind));
    }

    [Fact]
    public void Duplicate_key_drops_only_its_document()
    {
        var result = Manifests.Load("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n  name: b\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: c}\n");

        Assert.Equal("c", Assert.Single(result.Objects).Name);
        Assert.Equal(5, Assert.Single(result.Problems).Line);
    }
}
