using Weft.Cli.Local;

namespace Weft.Cli.Tests.Local;

public sealed class IsolationChoiceTests
{
    [Fact]
    public void Auto_is_network_namespaces_when_nothing_is_missing()
    {
        var (isolation, line) = IsolationChoice.Decide("auto", () => null);

        Assert.Equal(Isolation.Netns, isolation);
        Assert.StartsWith("isolation: netns", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Auto_falls_back_to_process_isolation_saying_what_is_missing()
    {
        var (isolation, line) = IsolationChoice.Decide("auto", () => "iptables not found (apt-get install iptables)");

        Assert.Equal(Isolation.Process, isolation);
        Assert.StartsWith("isolation: process (iptables not found (apt-get install iptables))", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Netns_asked_for_where_it_is_not_possible_is_an_error_not_a_fallback()
    {
        var (isolation, line) = IsolationChoice.Decide("netns", () => "not root: network namespaces and iptables need root");

        Assert.Null(isolation);
        Assert.Equal("network namespaces are not possible here: not root: network namespaces and iptables need root", line);
    }

    [Fact]
    public void Process_asked_for_is_process_whatever_the_machine_can_do()
    {
        Assert.Equal(Isolation.Process, IsolationChoice.Decide("process", () => null).Isolation);
    }

    [Fact]
    public void As_root_with_ip_iptables_and_setpriv_this_machine_can_run_network_namespaces()
    {
        // test.sh installs the tools as root (CI is root); a developer not root sees why.
        var missing = IsolationChoice.MissingForNetns();

        Assert.True(Environment.IsPrivilegedProcess ? missing is null : missing!.StartsWith("not root", StringComparison.Ordinal), missing);
    }
}
