using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using YamlDotNet.RepresentationModel;

namespace Weft.Api.Loading;

/// <summary>
/// A digest of an object's fields but <c>metadata</c> and <c>status</c> (and its <c>apiVersion</c> and <c>kind</c>: one
/// object served at two versions is one object): what the API server compares to decide whether an update moves
/// <c>metadata.generation</c>. Keys are taken in order of their names, so reordering, comments and
/// layout change nothing; a scalar's quoting does (<c>80</c> and <c>"80"</c> are a number and a string).
/// </summary>
internal static class SpecDigest
{
    public static string Of(YamlMappingNode root)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var text = new StringBuilder();
        Write(root, text, top: true);
        hash.AppendData(Encoding.UTF8.GetBytes(text.ToString()));
        return Convert.ToHexString(hash.GetHashAndReset(), 0, 16);
    }

    private static void Write(YamlNode node, StringBuilder text, bool top = false)
    {
        switch (node)
        {
            case YamlMappingNode mapping:
                text.Append('{');
                foreach (var (key, value) in mapping.Children
                    .Select(c => (Key: (c.Key as YamlScalarNode)?.Value ?? c.Key.ToString(), c.Value))
                    .Where(c => !top || c.Key is not ("metadata" or "status" or "apiVersion" or "kind"))
                    .OrderBy(c => c.Key, StringComparer.Ordinal))
                {
                    Scalar(key, plain: true, text);
                    Write(value, text);
                }

                text.Append('}');
                break;
            case YamlSequenceNode sequence:
                text.Append('[');
                foreach (var item in sequence.Children)
                {
                    Write(item, text);
                }

                text.Append(']');
                break;
            case YamlScalarNode scalar:
                Scalar(scalar.Value ?? "", scalar.Style is YamlDotNet.Core.ScalarStyle.Plain or YamlDotNet.Core.ScalarStyle.Any, text);
                break;
        }
    }

    // Length-prefixed, so that no value can run into the next.
    private static void Scalar(string value, bool plain, StringBuilder text) =>
        text.Append(plain ? 'p' : 'q').Append(value.Length.ToString(CultureInfo.InvariantCulture)).Append(':').Append(value);
}
