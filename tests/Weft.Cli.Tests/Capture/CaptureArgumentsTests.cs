using Weft.Cli.Capture;
using Weft.Cli.Commands;

namespace Weft.Cli.Tests.Capture;

/// <summary>The weft init command line: defaults, every bad value named in its error, and the way back for weft up.</summary>
public sealed class CaptureArgumentsTests
{
    private static CaptureOptions Parse(params string[] args)
    {
        Assert.True(InitCommand.TryParse(["init", .. args], out var options, out var error), error);
        return options;
    }

    private static string Error(params string[] args)
    {
        Assert.False(InitCommand.TryParse(["init", .. args], out _, out var error));
        return error;
    }

    [Fact]
    public void Without_options_the_sidecar_is_uid_and_gid_1337_on_15001_15006_and_15000_and_the_backend_is_auto()
    {
        Assert.Equal(CaptureOptions.Default, Parse());
        Assert.Equal((1337u, 1337u, 15001, 15006, 15000, IptablesMode.Auto),
            (CaptureOptions.Default.ProxyUid, CaptureOptions.Default.ProxyGid, CaptureOptions.Default.OutboundPort,
             CaptureOptions.Default.InboundPort, CaptureOptions.Default.AdminPort, CaptureOptions.Default.Mode));
    }

    [Fact]
    public void Lists_are_comma_separated_and_repeatable_and_kept_sorted_without_duplicates()
    {
        var options = Parse("--exclude-inbound-ports", "8080,22", "--exclude-inbound-ports", "22,9090",
            "--exclude-outbound-cidrs", "192.168.0.0/16", "--exclude-outbound-cidrs", "10.0.0.0/8,169.254.169.254");

        Assert.Equal([22, 8080, 9090], options.ExcludeInboundPorts);
        Assert.Equal(["10.0.0.0/8", "169.254.169.254/32", "192.168.0.0/16"], options.ExcludeOutboundCidrs.Select(c => c.ToString()));
    }

    [Theory]
    [InlineData("none")]
    [InlineData("")]
    public void A_uid_given_as_none_or_empty_is_not_matched_on(string value)
    {
        Assert.Equal((null, 1337u), (Parse("--proxy-uid", value).ProxyUid, Parse("--proxy-uid", value).ProxyGid));
        Assert.Null(Parse("--proxy-gid", value).ProxyGid);
    }

    [Theory]
    [InlineData("--outbound-port|0", "--outbound-port: '0' is not a port (1-65535)")]
    [InlineData("--inbound-port|65536", "--inbound-port: '65536' is not a port (1-65535)")]
    [InlineData("--admin-port|http", "--admin-port: 'http' is not a port (1-65535)")]
    [InlineData("--exclude-inbound-ports|22,70000", "--exclude-inbound-ports: '70000' is not a port (1-65535)")]
    [InlineData("--exclude-outbound-ports|-1", "--exclude-outbound-ports: '-1' is not a port (1-65535)")]
    [InlineData("--exclude-outbound-ports|8000:8080", "--exclude-outbound-ports: '8000:8080' is not a port (1-65535)")]
    [InlineData("--outbound-port|15006", "--outbound-port and --inbound-port are both 15006: each listener of the sidecar needs its own port")]
    [InlineData("--admin-port|15001", "--outbound-port and --admin-port are both 15001: each listener of the sidecar needs its own port")]
    [InlineData("--proxy-uid|none|--proxy-gid|none", "--proxy-uid and --proxy-gid are both none: the sidecar's own traffic would be captured again (a loop); give at least one")]
    [InlineData("--proxy-uid|-5", "--proxy-uid: '-5' is not a numeric id (0-4294967294) or 'none'")]
    [InlineData("--proxy-gid|4294967295", "--proxy-gid: '4294967295' is not a numeric id (0-4294967294) or 'none'")]
    [InlineData("--exclude-outbound-cidrs|10.0.0.1/8", "--exclude-outbound-cidrs: '10.0.0.1/8' has host bits set (the network is 10.0.0.0/8)")]
    [InlineData("--exclude-outbound-cidrs|10.0.0.0/33", "--exclude-outbound-cidrs: '10.0.0.0/33' is not an IPv4 CIDR (a.b.c.d/0-32)")]
    [InlineData("--exclude-outbound-cidrs|10.0.0/8", "--exclude-outbound-cidrs: '10.0.0/8' is not an IPv4 CIDR (a.b.c.d/0-32)")]
    [InlineData("--exclude-outbound-cidrs|fd00::/8", "--exclude-outbound-cidrs: 'fd00::/8' is not an IPv4 CIDR (a.b.c.d/0-32)")]
    [InlineData("--exclude-outbound-cidrs|256.0.0.0/8", "--exclude-outbound-cidrs: '256.0.0.0/8' is not an IPv4 CIDR (a.b.c.d/0-32)")]
    [InlineData("--exclude-outbound-cidrs|10.0.0.0/8,10.96.0.0/12", "--exclude-outbound-cidrs: '10.0.0.0/8' overlaps '10.96.0.0/12'")]
    [InlineData("--exclude-outbound-cidrs|0.0.0.0/0|--exclude-outbound-cidrs|192.168.1.0/24", "--exclude-outbound-cidrs: '0.0.0.0/0' overlaps '192.168.1.0/24'")]
    [InlineData("--iptables-mode|iptables", "--iptables-mode: 'iptables' is not one of auto, nft, legacy")]
    public void A_bad_value_is_refused_with_an_error_naming_the_option_and_the_value(string args, string error)
    {
        Assert.Equal(error, Error(args.Split('|')));
    }

    [Fact]
    public void Options_built_in_process_are_checked_by_the_same_rules()
    {
        var options = CaptureOptions.Default with { InboundPort = 15001, ExcludeOutboundPorts = [0] };

        Assert.Equal(
        [
            "--outbound-port and --inbound-port are both 15001: each listener of the sidecar needs its own port",
            "--exclude-outbound-ports: '0' is not a port (1-65535)",
        ],
        options.Problems());
    }

    [Fact]
    public void ToArguments_spells_out_every_setting_verb_first()
    {
        Assert.Equal(
            ["init", "--proxy-uid", "1337", "--proxy-gid", "1337", "--outbound-port", "15001", "--inbound-port", "15006", "--admin-port", "15000", "--iptables-mode", "auto"],
            CaptureOptions.Default.ToArguments());
    }

    [Fact]
    public void ToArguments_round_trips_through_the_init_verbs_parser()
    {
        CaptureOptions[] cases =
        [
            CaptureOptions.Default,
            CaptureOptions.Default with
            {
                ProxyUid = null,
                ProxyGid = 101,
                OutboundPort = 4140,
                InboundPort = 4143,
                AdminPort = 4191,
                ExcludeInboundPorts = [4190, 22],
                ExcludeOutboundPorts = [443, 25],
                ExcludeOutboundCidrs = [new Ipv4Cidr(0xA9FEA9FE, 32), new Ipv4Cidr(0x0A000000, 8)],
                Mode = IptablesMode.Legacy,
            },
            CaptureOptions.Default with { ProxyUid = 0, ProxyGid = null, Mode = IptablesMode.Nft },
        ];

        foreach (var options in cases)
        {
            Assert.True(InitCommand.TryParse(options.ToArguments(), out var parsed, out var error), error);
            Assert.Equal(options, parsed);
            Assert.Equal(options.ToArguments(), parsed.ToArguments());
        }
    }

    [Theory]
    [InlineData("10.0.0.0/8", "10.255.0.0/16", true)]
    [InlineData("10.0.0.0/8", "11.0.0.0/8", false)]
    [InlineData("192.168.1.0/24", "192.168.1.128/25", true)]
    [InlineData("192.168.1.0/25", "192.168.1.128/25", false)]
    [InlineData("0.0.0.0/0", "1.2.3.4/32", true)]
    public void Networks_overlap_when_one_contains_the_others_network(string a, string b, bool overlap)
    {
        Assert.True(Ipv4Cidr.TryParse(a, out var first, out _));
        Assert.True(Ipv4Cidr.TryParse(b, out var second, out _));
        Assert.Equal(overlap, first.Overlaps(second));
        Assert.Equal(overlap, second.Overlaps(first));
    }

    [Theory]
    [InlineData("010.0.0.0/8")]
    [InlineData("10.0.0.0/")]
    [InlineData("10.0.0.0/+8")]
    [InlineData("10.0.0.0.0/8")]
    [InlineData("10.0.0.0/08")]
    public void A_CIDR_is_four_decimal_numbers_and_a_prefix_length_with_no_leading_zero(string text)
    {
        // A leading zero could be octal to another reader (inet_aton reads 010 as 8): refused rather than guessed.
        Assert.False(Ipv4Cidr.TryParse(text, out _, out var error));
        Assert.Equal($"'{text}' is not an IPv4 CIDR (a.b.c.d/0-32)", error);
    }
}
