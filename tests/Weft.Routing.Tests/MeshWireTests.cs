using System.Text;

namespace Weft.Routing.Tests;

/// <summary>The wire names have one spelling: the byte forms the HTTP/1.1 fast path uses say what the strings say.</summary>
public sealed class MeshWireTests
{
    [Fact]
    public void The_destination_port_header_in_ASCII_is_the_header_name()
    {
        Assert.Equal(MeshWire.DestinationPortHeader, Encoding.ASCII.GetString(MeshWire.DestinationPortHeaderAscii));
    }

    [Fact]
    public void The_destination_port_line_starts_with_the_header_name_and_a_colon_and_space()
    {
        Assert.Equal(MeshWire.DestinationPortHeader + ": ", Encoding.ASCII.GetString(MeshWire.DestinationPortLineStart));
    }
}
