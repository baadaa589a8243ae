using Weft.Api.Model;

namespace Weft.Api.Tests;

public sealed class ContainerVariablesTests
{
    private static readonly Dictionary<string, string> Env = new() { ["A"] = "1", ["EMPTY"] = "" };

    [Theory]
    [InlineData("$(A)", "1")]
    [InlineData("x$(A)y$(A)", "x1y1")]
    [InlineData("$(EMPTY)", "")]
    [InlineData("$(B)", "$(B)")]
    [InlineData("$$(A)", "$(A)")]
    [InlineData("$$$(A)", "$1")]
    [InlineData("$(A", "$(A")]
    [InlineData("$A", "$A")]
    [InlineData("a$", "a$")]
    [InlineData("no reference", "no reference")]
    public void A_reference_is_replaced_by_a_defined_variable_and_otherwise_left_as_written_with_dollar_dollar_a_dollar(string text, string expanded) =>
        Assert.Equal(expanded, ContainerVariables.Expand(text, Env));

    [Fact]
    public void A_variable_s_value_is_expanded_with_the_variables_before_it_and_one_from_value_from_is_not_known()
    {
        var container = new Container
        {
            Name = "c",
            Env =
            [
                new EnvVar { Name = "LATER", Value = "$(FIRST)" },
                new EnvVar { Name = "FIRST", Value = "f" },
                new EnvVar { Name = "SECOND", Value = "$(FIRST)-s" },
                new EnvVar { Name = "FROM_FIELD" },
                new EnvVar { Name = "THIRD", Value = "$(FROM_FIELD)" },
            ],
        };
        var env = ContainerVariables.Literal(container);
        Assert.Equal("$(FIRST)", env["LATER"]);
        Assert.Equal("f-s", env["SECOND"]);
        Assert.False(env.ContainsKey("FROM_FIELD"));
        Assert.Equal("$(FROM_FIELD)", env["THIRD"]);
    }
}
