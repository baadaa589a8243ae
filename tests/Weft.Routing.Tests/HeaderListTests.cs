using Weft.Routing.Matching;

namespace Weft.Routing.Tests;

/// <summary>gamma-spec E4's reading of request headers, in its one home (<see cref="HeaderList"/>).</summary>
public class HeaderListTests
{
    private static HeaderList List(params (string Name, string Value)[] fields) =>
        new([.. fields.Select(f => KeyValuePair.Create(f.Name, f.Value))]);

    [Fact]
    public void E4_a_header_on_several_lines_reads_as_their_values_joined_by_a_comma_in_order()
    {
        var headers = List(("x-version", "v2"), ("accept", "*/*"), ("x-version", "v1"), ("x-version", "a, b"));

        Assert.True(headers.TryGetValue("x-version", out var value));
        Assert.Equal("v2,v1,a, b", value);
    }

    [Fact]
    public void E4_header_names_are_compared_case_insensitively()
    {
        var headers = List(("X-Version", "v2"), ("x-VERSION", "v3"));

        Assert.True(headers.TryGetValue("x-version", out var value));
        Assert.Equal("v2,v3", value);
    }

    [Fact]
    public void A_header_on_no_line_is_not_found()
    {
        Assert.False(List(("accept", "*/*")).TryGetValue("x-version", out var value));
        Assert.Null(value);
    }

    [Fact]
    public void A_header_with_an_empty_value_is_found_with_it()
    {
        Assert.True(List(("x-empty", "")).TryGetValue("x-empty", out var value));
        Assert.Equal("", value);
    }

    [Theory]
    [InlineData(new string[0], null)]
    [InlineData(new[] { "a" }, "a")]
    [InlineData(new[] { "a", "b, c", "" }, "a,b, c,")]
    public void The_values_of_a_headers_lines_join_as_its_list_does(string[] values, string? joined)
    {
        Assert.Equal(joined, HeaderList.Join<IReadOnlyList<string?>>(values));
        Assert.Equal(joined, values.Aggregate((string?)null, HeaderList.AppendValue));
    }
}
