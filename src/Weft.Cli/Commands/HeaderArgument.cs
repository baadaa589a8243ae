namespace Weft.Cli.Commands;

/// <summary>A <c>-H 'Name: value'</c> argument, as <c>curl</c> and <c>explain</c> take it.</summary>
internal static class HeaderArgument
{
    /// <summary>Splits at the first colon and trims both sides; false when there is no name before a colon.</summary>
    public static bool TryParse(string text, out KeyValuePair<string, string> header)
    {
        ArgumentNullException.ThrowIfNull(text);
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        header = colon <= 0 ? default : new(text[..colon].Trim(), text[(colon + 1)..].Trim());
        return colon > 0;
    }
}
