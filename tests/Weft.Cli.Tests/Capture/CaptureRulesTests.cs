using Weft.Cli.Capture;

namespace Weft.Cli.Tests.Capture;

/// <summary>The restore input weft init applies: rendered from the options and the current nat table, nothing else.</summary>
public sealed class CaptureRulesTests
{
    private static readonly string[] DefaultChainsAndRules =
    [
        ":WEFT_INBOUND - [0:0]",
        ":WEFT_IN_REDIRECT - [0:0]",
        ":WEFT_OUTPUT - [0:0]",
        ":WEFT_OUT_REDIRECT - [0:0]",
        "-A WEFT_INBOUND -p tcp -m tcp --dport 15006 -j RETURN",
        "-A WEFT_INBOUND -p tcp -m tcp --dport 15000 -j RETURN",
        "-A WEFT_INBOUND -p tcp -j WEFT_IN_REDIRECT",
        "-A WEFT_IN_REDIRECT -p tcp -j REDIRECT --to-ports 15006",
        "-A WEFT_OUTPUT -m owner --uid-owner 1337 -j RETURN",
        "-A WEFT_OUTPUT -m owner --gid-owner 1337 -j RETURN",
        "-A WEFT_OUTPUT -o lo -j RETURN",
        "-A WEFT_OUTPUT -p tcp -j WEFT_OUT_REDIRECT",
        "-A WEFT_OUT_REDIRECT -p tcp -j REDIRECT --to-ports 15001",
        "-A PREROUTING -p tcp -j WEFT_INBOUND",
        "-A OUTPUT -p tcp -j WEFT_OUTPUT",
    ];

    private static string[] Lines(string input) => input.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    [Fact]
    public void A_fresh_namespace_gets_the_four_chains_their_rules_then_the_two_TCP_jumps_in_one_nat_transaction()
    {
        var input = CaptureRules.RestoreInput(CaptureOptions.Default, SavedRuleset.Parse(SavedSamples.Fresh));

        Assert.Equal(["*nat", .. DefaultChainsAndRules, "COMMIT"], Lines(input));
    }

    [Fact]
    public void A_second_run_first_deletes_the_jumps_of_the_first_then_declares_the_chains_which_empties_them()
    {
        var input = CaptureRules.RestoreInput(CaptureOptions.Default, SavedRuleset.Parse(SavedSamples.Nft));

        Assert.Equal(
            ["*nat", "-D PREROUTING -p tcp -j WEFT_INBOUND", "-D OUTPUT -p tcp -j WEFT_OUTPUT", .. DefaultChainsAndRules, "COMMIT"],
            Lines(input));
    }

    [Fact]
    public void Exclusions_return_before_the_redirect_inbound_ports_after_the_listeners_outbound_ports_then_networks()
    {
        var options = CaptureOptions.Default with
        {
            ExcludeInboundPorts = [22, 8080],
            ExcludeOutboundPorts = [5432],
            ExcludeOutboundCidrs = [new Ipv4Cidr(0x0A000000, 8), new Ipv4Cidr(0xA9FEA9FE, 32)],
        };

        Assert.Equal(
        [
            (CaptureRules.Inbound, "-p tcp -m tcp --dport 15006 -j RETURN"),
            (CaptureRules.Inbound, "-p tcp -m tcp --dport 15000 -j RETURN"),
            (CaptureRules.Inbound, "-p tcp -m tcp --dport 22 -j RETURN"),
            (CaptureRules.Inbound, "-p tcp -m tcp --dport 8080 -j RETURN"),
            (CaptureRules.Inbound, "-p tcp -j WEFT_IN_REDIRECT"),
            (CaptureRules.InboundRedirect, "-p tcp -j REDIRECT --to-ports 15006"),
            (CaptureRules.Output, "-m owner --uid-owner 1337 -j RETURN"),
            (CaptureRules.Output, "-m owner --gid-owner 1337 -j RETURN"),
            (CaptureRules.Output, "-o lo -j RETURN"),
            (CaptureRules.Output, "-p tcp -m tcp --dport 5432 -j RETURN"),
            (CaptureRules.Output, "-d 10.0.0.0/8 -j RETURN"),
            (CaptureRules.Output, "-d 169.254.169.254/32 -j RETURN"),
            (CaptureRules.Output, "-p tcp -j WEFT_OUT_REDIRECT"),
            (CaptureRules.OutboundRedirect, "-p tcp -j REDIRECT --to-ports 15001"),
        ],
        CaptureRules.ChainRules(options));
    }

    [Fact]
    public void An_excluded_inbound_port_that_is_already_a_listener_returns_once()
    {
        var options = CaptureOptions.Default with { ExcludeInboundPorts = [15000, 22] };

        Assert.Equal(["15006", "15000", "22"], CaptureRules.ChainRules(options)
            .Where(r => r.Chain == CaptureRules.Inbound && r.Spec.EndsWith("-j RETURN", StringComparison.Ordinal))
            .Select(r => r.Spec.Split(' ')[5]));
    }

    [Theory]
    [InlineData(null, 1337u, "-m owner --gid-owner 1337 -j RETURN")]
    [InlineData(1337u, null, "-m owner --uid-owner 1337 -j RETURN")]
    [InlineData(0u, 101u, "-m owner --uid-owner 0 -j RETURN|-m owner --gid-owner 101 -j RETURN")]
    public void The_sidecars_own_traffic_is_recognised_by_each_id_given_and_only_those(uint? uid, uint? gid, string expected)
    {
        var options = CaptureOptions.Default with { ProxyUid = uid, ProxyGid = gid };

        Assert.Equal(expected.Split('|'), CaptureRules.ChainRules(options).Where(r => r.Spec.Contains("owner", StringComparison.Ordinal)).Select(r => r.Spec));
    }

    [Fact]
    public void Only_jumps_from_PREROUTING_and_OUTPUT_into_Weft_chains_are_deleted_not_a_users_jump_into_their_own_chain()
    {
        // The nft sample also has "-A MYCHAIN -j WEFT_OUTPUT": the user's rule, kept by init (only --remove takes it).
        Assert.Equal(
            ["-D PREROUTING -p tcp -j WEFT_INBOUND", "-D OUTPUT -p tcp -j WEFT_OUTPUT"],
            CaptureRules.StaleJumps(SavedRuleset.Parse(SavedSamples.Nft)));
    }

    [Fact]
    public void A_doubled_jump_gets_one_delete_line_per_copy_and_counters_do_not_leak_into_the_lines()
    {
        Assert.Equal(
            ["-D PREROUTING -p tcp -j WEFT_INBOUND", "-D OUTPUT -p tcp -j WEFT_OUTPUT", "-D OUTPUT -p tcp -j WEFT_OUTPUT"],
            CaptureRules.StaleJumps(SavedRuleset.Parse(SavedSamples.LegacyWithCounters)));
    }

    [Fact]
    public void A_fresh_namespace_has_no_jump_to_delete()
    {
        Assert.Empty(CaptureRules.StaleJumps(SavedRuleset.Parse(SavedSamples.Fresh)));
    }

    [Fact]
    public void Removal_deletes_every_jump_into_a_Weft_chain_then_empties_and_deletes_the_chains()
    {
        var input = CaptureRules.RemovalInput(SavedRuleset.Parse(SavedSamples.Nft));

        Assert.Equal(
        [
            "*nat",
            "-D PREROUTING -p tcp -j WEFT_INBOUND",
            "-D OUTPUT -p tcp -j WEFT_OUTPUT",
            "-D MYCHAIN -j WEFT_OUTPUT",
            ":WEFT_INBOUND - [0:0]",
            ":WEFT_IN_REDIRECT - [0:0]",
            ":WEFT_OUTPUT - [0:0]",
            ":WEFT_OUT_REDIRECT - [0:0]",
            "-X WEFT_INBOUND",
            "-X WEFT_IN_REDIRECT",
            "-X WEFT_OUTPUT",
            "-X WEFT_OUT_REDIRECT",
            "COMMIT",
        ],
        Lines(input!));
    }

    [Fact]
    public void Removal_from_a_namespace_without_Weft_rules_is_nothing()
    {
        Assert.Null(CaptureRules.RemovalInput(SavedRuleset.Parse(SavedSamples.Fresh)));
    }

    [Fact]
    public void Verification_accepts_the_table_read_back_after_writing_the_same_options()
    {
        var options = CaptureOptions.Default with { ExcludeOutboundCidrs = [new Ipv4Cidr(0x0A000000, 8)] };

        Assert.Empty(CaptureRules.Verify(options, SavedRuleset.Parse(SavedSamples.Nft)));
    }

    [Fact]
    public void Verification_names_a_chain_with_other_rules_than_written_and_a_doubled_or_missing_jump()
    {
        Assert.Equal(
        [
            "chain WEFT_INBOUND holds 1 rules, 3 were written",
            "chain WEFT_IN_REDIRECT holds 0 rules, 1 were written",
            "chain WEFT_OUTPUT holds 0 rules, 4 were written",
            "chain WEFT_OUT_REDIRECT holds 0 rules, 1 were written",
            "OUTPUT jumps to WEFT_OUTPUT 2 times, not once",
        ],
        CaptureRules.Verify(CaptureOptions.Default, SavedRuleset.Parse(SavedSamples.LegacyWithCounters)));
        Assert.Contains("chain WEFT_INBOUND is missing", CaptureRules.Verify(CaptureOptions.Default, SavedRuleset.Parse(SavedSamples.Fresh)));
    }

    [Fact]
    public void The_save_parser_reads_chains_per_table_and_each_rules_target_past_a_quoted_comment_holding_dash_j()
    {
        var saved = SavedRuleset.Parse(SavedSamples.Nft);

        Assert.Equal(["PREROUTING", "INPUT", "OUTPUT", "POSTROUTING", "MYCHAIN", .. CaptureRules.Chains], saved.ChainsOf("nat"));
        Assert.Equal(["INPUT", "FORWARD", "OUTPUT"], saved.ChainsOf("filter"));
        var user = saved.RulesOf("nat", "OUTPUT").First();
        Assert.Equal("MYCHAIN", user.Target);
        Assert.Equal("-D OUTPUT -d 192.0.2.1/32 -p tcp -m comment --comment \"user -j rule\" -j MYCHAIN", user.DeleteLine);
        Assert.Equal(15, saved.Rules.Count);
    }
}
