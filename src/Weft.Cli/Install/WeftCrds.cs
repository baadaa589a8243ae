using System.Reflection;

namespace Weft.Cli.Install;

/// <summary>
/// Weft's own CRDs (<c>policy.weft.dev</c>): written in <c>deploy/crds/</c> beside the vendored Gateway API ones and
/// embedded the same way; <c>weft install --crds</c> prints them after those.
/// </summary>
internal static class WeftCrds
{
    /// <summary>The files, in apply order.</summary>
    public static IReadOnlyList<string> Files { get; } = ["policy.weft.dev_authorizationpolicies.yaml"];

    public static string Text(string file)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("crds/" + file)
            ?? throw new InvalidOperationException($"the weft binary lacks its embedded CRD {file}");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
