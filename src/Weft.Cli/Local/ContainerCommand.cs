namespace Weft.Cli.Local;

/// <summary>The local process that stands in for one container: program, arguments, and the ports it will serve.</summary>
internal sealed record ContainerCommand(string FileName, IReadOnlyList<string> Arguments)
{
    /// <summary>Command line for people (progress lines, errors).</summary>
    public string Display => string.Join(' ', new[] { FileName }.Concat(Arguments).Select(Quote));

    private static string Quote(string s) => s.Length > 0 && !s.Any(c => char.IsWhiteSpace(c) || c is '"' or '\'') ? s : $"'{s.Replace("'", "'\\''")}'";
}
