using Weft.Cli.Commands;
using Weft.Discovery.V1;

namespace Weft.Cli.Tests.Commands;

/// <summary>
/// <c>weft tap</c> and <c>weft top</c> print what requests chose (method, authority, path): control characters reach the
/// operator's terminal escaped, never raw (an OSC or CSI sequence in a path could retitle, recolour or rewrite the screen).
/// </summary>
public sealed class TerminalTextTests
{
    private const string Hostile = "/\u001b]0;pwned\u0007\u001b[2J\u009b31m";

    [Theory]
    [InlineData("/cart/items", "/cart/items")]
    [InlineData("/a\u001bb", @"/a\x1bb")]
    [InlineData("/a\u007fb\u0085", @"/a\x7fb\x85")]
    [InlineData(@"/a\x1bb", @"/a\\x1bb")] // a literal backslash cannot pass for an escape
    [InlineData("/caf\u00e9", "/caf\u00e9")]
    [InlineData("/exe\u202egpj.txt", @"/exe\u202egpj.txt")] // a right-to-left override would show "/exetxt.jpg"
    [InlineData("/a\u2066b\u200fc", @"/a\u2066b\u200fc")]
    public void Control_characters_are_shown_escaped(string text, string shown) =>
        Assert.Equal(shown, TerminalText.Escape(text));

    [Fact]
    public void Weft_status_s_writer_escapes_what_others_wrote_and_keeps_its_line_breaks()
    {
        // A status message or a refusal quoting an object's field, as an API server or a control plane hands it over.
        var text = new StringWriter { NewLine = "\n" };
        var w = TerminalText.Writer(text);

        w.WriteLine($"    ✗ Accepted False UnsupportedValue path: Invalid value: \"{Hostile}\"");
        w.Write("a\nb\t");
        w.Write('\u001b');
        w.WriteLine();
        w.Write(Hostile.ToCharArray(), 0, 2);

        Assert.Equal("    ✗ Accepted False UnsupportedValue path: Invalid value: \"/\\x1b]0;pwned\\x07\\x1b[2J\\x9b31m\"\na\nb\\x09\\x1b\n/\\x1b", text.ToString());
    }

    [Fact]
    public void A_tap_line_carries_no_control_character()
    {
        var line = TapCommand.Line(Event());

        Assert.DoesNotContain(line, char.IsControl);
        Assert.Contains(@"/\x1b]0;pwned\x07", line, StringComparison.Ordinal);
    }

    [Fact]
    public void A_top_table_carries_no_control_character_but_its_line_ends()
    {
        var table = new TopTable();
        table.Add(Event());

        var text = table.Render(10);

        Assert.DoesNotContain(text.Replace("\n", "", StringComparison.Ordinal), char.IsControl);
        Assert.Contains(@"\x1b[2J", text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_grpc_calls_tap_line_gives_its_grpc_status_after_the_http_status()
    {
        var e = Event();
        e.GrpcStatus = 14;

        Assert.Contains(" :status=200 grpc-status=14 latency=", TapCommand.Line(e), StringComparison.Ordinal);
        Assert.DoesNotContain("grpc-status", TapCommand.Line(Event()), StringComparison.Ordinal);
    }

    private static TapEvent Event() => new()
    {
        Direction = "inbound",
        Method = "GET\u001b[1m",
        Authority = "cart\u001b.shop:80",
        Path = Hostile,
        Status = 200,
        SrcNamespace = "shop",
        SrcWorkload = "client",
        DstNamespace = "shop",
        DstWorkload = "cart",
        Pod = "shop/cart-1",
    };
}
