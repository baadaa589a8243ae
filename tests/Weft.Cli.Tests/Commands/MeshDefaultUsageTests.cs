using System.CommandLine;
using Weft.Cli.Commands;

namespace Weft.Cli.Tests.Commands;

/// <summary>
/// A bad value of --default-inbound-policy, --default-outbound-policy or --mtls-default, in every command that takes one,
/// is a usage error as the commands' own: one line naming the option, the value and the accepted values, exit 2, no help.
/// </summary>
public sealed class MeshDefaultUsageTests
{
    private const string InboundProblem = "error: --default-inbound-policy 'denyy' is not one of all-unauthenticated, all-authenticated, same-namespace, deny";
    private const string OutboundProblem = "error: --default-outbound-policy 'nowhere' is not one of allow-any, registry-only";
    private const string MtlsProblem = "error: --mtls-default 'loose' is not one of strict, permissive";

    private static RootCommand Root() =>
        new("weft") { UpCommand.Create(), ExplainCommand.Create(), AuthzCommand.Create(), ControllerCommand.Create(), ControlPlaneCommand.Create() };

    private static async Task<(int Exit, string Out, string Err)> InvokeAsync(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = await MeshDefaultUsage.InvokeAsync(Root().Parse(args), new InvocationConfiguration { Output = stdout, Error = stderr }, CancellationToken.None);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    [Theory]
    [InlineData(InboundProblem, "explain", "--default-inbound-policy", "denyy", "--from", "a", "http://x/", "dir")]
    [InlineData(OutboundProblem, "explain", "--default-outbound-policy", "nowhere", "--from", "a", "http://x/", "dir")]
    [InlineData(MtlsProblem, "explain", "--mtls-default", "loose", "--from", "a", "http://x/", "dir")]
    [InlineData(InboundProblem, "up", "--default-inbound-policy", "denyy", "dir")]
    [InlineData(OutboundProblem, "up", "--default-outbound-policy", "nowhere", "dir")]
    [InlineData(MtlsProblem, "up", "--mtls-default", "loose", "dir")]
    [InlineData(InboundProblem, "authz", "--default-inbound-policy", "denyy", "a/b", "dir")]
    [InlineData(InboundProblem, "controller", "--default-inbound-policy", "denyy")]
    [InlineData(OutboundProblem, "controller", "--default-outbound-policy", "nowhere")]
    [InlineData(OutboundProblem, "control-plane", "--default-outbound-policy", "nowhere", "dir", "--state-dir", "s", "--cluster-file", "c", "--port", "1")]
    public async Task A_bad_value_prints_one_line_naming_the_option_the_value_and_the_accepted_values_and_exits_2(string problem, params string[] args)
    {
        var (exit, stdout, stderr) = await InvokeAsync(args);

        Assert.Equal(2, exit);
        Assert.Equal(problem, stderr.TrimEnd());
        Assert.Equal("", stdout); // no help
    }

    [Fact]
    public async Task Two_bad_values_print_a_line_each()
    {
        var (exit, _, stderr) = await InvokeAsync("explain", "--default-inbound-policy", "denyy", "--mtls-default", "loose", "--from", "a", "http://x/", "dir");

        Assert.Equal(2, exit);
        Assert.Equal([InboundProblem, MtlsProblem], stderr.TrimEnd().Split(Environment.NewLine));
    }

    [Fact]
    public async Task Another_parse_error_keeps_System_CommandLine_s_handling_with_the_help()
    {
        var (exit, stdout, stderr) = await InvokeAsync("explain", "--default-inbound-policy", "deny", "http://x/", "dir"); // no --from

        Assert.Equal(1, exit);
        Assert.Contains("--from", stderr, StringComparison.Ordinal);
        Assert.Contains("Usage:", stdout, StringComparison.Ordinal);
    }
}
