using System.CommandLine;
using Weft.Cli.Commands;
using Weft.Proxy;

namespace Weft.Cli.Tests.Commands;

/// <summary>`weft proxy` reads the sidecar's one command-line definition: it declares it and hands its words to weft-proxy's parser.</summary>
public sealed class ProxyCommandTests
{
    [Fact]
    public void The_verb_declares_exactly_the_sidecars_options()
    {
        var command = ProxyCommand.Create();

        Assert.Equal(ProxyArguments.All.Select(o => o.Name), command.Options.Select(o => o.Name));
    }

    [Fact]
    public void The_verb_hands_its_words_in_order_to_the_sidecars_parser()
    {
        var command = ProxyCommand.Create();
        var root = new RootCommand { command };
        var result = root.Parse(["proxy", "--pod=ns/web-0", "--pod-ip", "127.20.2.1", "--capture", "--control-plane", "http://127.0.0.1:4000", "--level", "l4"]);

        Assert.Empty(result.Errors);
        var words = ProxyCommand.Words(result, command);
        Assert.Equal(["--pod", "ns/web-0", "--pod-ip", "127.20.2.1", "--capture", "--control-plane", "http://127.0.0.1:4000", "--level", "l4"], words);
        Assert.True(ProxyArguments.TryParse(words, out var options, out var error), error);
        Assert.Equal(("ns", "web-0", true, "l4"), (options!.PodNamespace, options.PodName, options.Capture, options.Level));
    }

    [Fact]
    public void A_value_the_sidecar_refuses_is_refused_with_the_sidecars_message()
    {
        var command = ProxyCommand.Create();
        var result = new RootCommand { command }.Parse(["proxy", "--pod", "a/b", "--pod-ip", "127.0.0.1", "--control-plane", "http://x", "--mtls", "lax"]);

        Assert.Empty(result.Errors);
        Assert.False(ProxyArguments.TryParse(ProxyCommand.Words(result, command), out _, out var error));
        Assert.Equal("--mtls: 'lax' is not strict or permissive", error);
    }

    [Fact]
    public void A_repeatable_option_is_handed_over_each_time_it_is_given()
    {
        var command = ProxyCommand.Create();
        var result = new RootCommand { command }.Parse(
            ["proxy", "--pod", "a/b", "--pod-ip", "127.0.0.1", "--resolve", "api.example.com=203.0.113.7", "--control-plane", "http://x", "--resolve=db.example.org=203.0.113.9"]);

        Assert.Empty(result.Errors);
        Assert.True(ProxyArguments.TryParse(ProxyCommand.Words(result, command), out var options, out var error), error);
        Assert.Equal(["api.example.com", "db.example.org"], options!.Resolve.Keys.Order(StringComparer.Ordinal));
    }
}

