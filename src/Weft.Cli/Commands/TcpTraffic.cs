namespace Weft.Cli.Commands;

/// <summary>
/// A <c>weft stat</c> row's L4 connections (TCPRoute, TLSRoute, opaque TCP), as <c>linkerd viz stat</c>'s TCP columns:
/// connections open when the sidecars were asked, connections opened in the window, and bytes per second read from the
/// side that opened them and written back to it over the window.
/// </summary>
internal sealed record TcpTraffic(ulong Open, ulong Opened, double ReadBytesPerSecond, double WriteBytesPerSecond);
