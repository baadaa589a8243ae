using Weft.Cli.Commands;

namespace Weft.Cli.Tests.Commands;

/// <summary>Counts and durations that mean nothing are refused by the command line, not run as "no limit" or "once".</summary>
public sealed class CountOptionTests
{
    [Theory]
    [InlineData("tap", "deploy/cart --max -5", "--max: 0 (no limit) or more")]
    [InlineData("top", "deploy/cart --max -1", "--max: 0 (no limit) or more")]
    [InlineData("top", "deploy/cart --duration -1", "--duration: seconds, 0 to 600 (a sidecar ends a tap after 10 minutes)")]
    [InlineData("top", "deploy/cart --duration 700", "--duration: seconds, 0 to 600 (a sidecar ends a tap after 10 minutes)")]
    [InlineData("curl", "--from shop/client http://cart/ --count 0", "--count: 1 or more requests")]
    [InlineData("curl", "--from shop/client http://cart/ --count -3", "--count: 1 or more requests")]
    public void A_negative_count_or_duration_is_refused(string verb, string arguments, string error)
    {
        var command = verb switch { "tap" => TapCommand.Create(), "top" => TopCommand.Create(), _ => CurlCommand.Create() };
        Assert.Contains(error, command.Parse(arguments.Split(' ')).Errors.Select(e => e.Message));
    }

    [Theory]
    [InlineData("tap", "deploy/cart --max 0")]
    [InlineData("top", "deploy/cart --duration 0 --max 0")]
    [InlineData("curl", "--from shop/client http://cart/ --count 1")]
    public void Zero_where_it_means_no_limit_and_one_request_are_accepted(string verb, string arguments)
    {
        var command = verb switch { "tap" => TapCommand.Create(), "top" => TopCommand.Create(), _ => CurlCommand.Create() };
        Assert.Empty(command.Parse(arguments.Split(' ')).Errors);
    }
}
