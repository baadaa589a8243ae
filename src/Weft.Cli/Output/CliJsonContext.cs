using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Weft.Cli.Output;

[JsonSerializable(typeof(string))]
internal sealed partial class CliJsonContext : JsonSerializerContext
{
    /// <summary>Readable strings: no \u escapes for quotes, angle brackets or non-ASCII.</summary>
    public static CliJsonContext Relaxed { get; } = new(new JsonSerializerOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
}
