using System.Text;
using Weft.Api.Model;
using YamlDotNet.RepresentationModel;

namespace Weft.Cli.Local;

/// <summary>
/// Maps a container image to a local command, since the local cluster runs processes, not images.
/// <list type="bullet">
/// <item>The upstream echo images (<c>*echo-advanced*</c> or <c>*/echo*</c>) run <c>weft echo &lt;container args&gt;</c>.</item>
/// <item>Other images map through <c>weft-images.yaml</c> in the manifests directory, then
/// <c>~/.config/weft/images.yaml</c>: a YAML map <c>image-prefix: command template</c>. The longest matching prefix wins.
/// The template is split into words like a shell would (single and double quotes, no expansions) and these words are
/// replaced: <c>{weft}</c> (this weft, as a command), <c>{args}</c> (the container's args, one word each),
/// <c>{command}</c> (the container's command, one word each), <c>{podIP}</c>, <c>{pod}</c>, <c>{namespace}</c>;
/// <c>{podIP}</c>, <c>{pod}</c> and <c>{namespace}</c> are also replaced inside longer words.</item>
/// </list>
/// An image that maps to nothing is not started; the pod reports why.
/// </summary>
internal sealed class ImageMap
{
    public const string LocalFileName = "weft-images.yaml";

    /// <summary>
    /// The manifests directory's files that are not manifests (<see cref="LocalFileName"/>, <see cref="HostsFile.LocalFileName"/>),
    /// which every reader of the directory skips: weft up's control plane, <c>weft control-plane</c>, and the applier of
    /// <c>weft up --kubeconfig</c>.
    /// </summary>
    public static readonly IReadOnlySet<string> NotManifests = new HashSet<string>(StringComparer.Ordinal) { LocalFileName, HostsFile.LocalFileName };

    private readonly List<KeyValuePair<string, string>> _entries;

    public ImageMap(IEnumerable<KeyValuePair<string, string>> entries)
    {
        _entries = [.. entries.OrderByDescending(e => e.Key.Length)];
    }

    /// <summary>Where the mappings came from, for error messages.</summary>
    public IReadOnlyList<string> Files { get; init; } = [];

    /// <summary>Reads <c>DIR/weft-images.yaml</c> and <c>~/.config/weft/images.yaml</c>; the first wins for the same prefix.</summary>
    public static ImageMap Load(string manifestDirectory)
    {
        var entries = new Dictionary<string, string>(StringComparer.Ordinal);
        var files = new List<string>
        {
            Path.Combine(manifestDirectory, LocalFileName),
            Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config", "weft", "images.yaml"),
        };
        foreach (var file in files.Where(File.Exists))
        {
            foreach (var (prefix, template) in Parse(File.ReadAllText(file), file))
            {
                entries.TryAdd(prefix, template);
            }
        }

        return new ImageMap(entries) { Files = files };
    }

    public static IEnumerable<KeyValuePair<string, string>> Parse(string yaml, string fileName)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw new FormatException($"{fileName}: {e.Message}", e);
        }

        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode map)
        {
            yield break;
        }

        foreach (var (key, value) in map.Children)
        {
            if (key is YamlScalarNode { Value: { Length: > 0 } prefix } && value is YamlScalarNode { Value: { Length: > 0 } template })
            {
                yield return new(prefix, template);
            }
        }
    }

    /// <summary>Whether <paramref name="image"/> is the upstream echo image (or any image named echo).</summary>
    public static bool IsEcho(string? image) =>
        image is not null && (image.Contains("echo-advanced", StringComparison.Ordinal) || image.Contains("/echo", StringComparison.Ordinal));

    /// <summary>The command for a container, or null with the reason.</summary>
    public (ContainerCommand? Command, string? Error) Resolve(Container container, string podNamespace, string podName, string podIP, WeftLauncher weft)
    {
        ArgumentNullException.ThrowIfNull(container);
        ArgumentNullException.ThrowIfNull(weft);
        if (IsEcho(container.Image))
        {
            return (weft.Command(["echo", .. container.Args]), null);
        }

        var image = container.Image ?? "";
        var entry = _entries.FirstOrDefault(e => image.StartsWith(e.Key, StringComparison.Ordinal));
        if (entry.Key is null)
        {
            return (null, $"image '{image}' of container '{container.Name}' has no local command: map it in "
                + $"{string.Join(" or ", Files.DefaultIfEmpty(LocalFileName))} (image-prefix: command template)");
        }

        var words = new List<string>();
        foreach (var word in Split(entry.Value))
        {
            switch (word)
            {
                case "{weft}":
                    words.Add(weft.FileName);
                    words.AddRange(weft.PrefixArguments);
                    break;
                case "{args}":
                    words.AddRange(container.Args);
                    break;
                case "{command}":
                    words.AddRange(container.Command);
                    break;
                default:
                    words.Add(word.Replace("{podIP}", podIP, StringComparison.Ordinal)
                        .Replace("{pod}", podName, StringComparison.Ordinal)
                        .Replace("{namespace}", podNamespace, StringComparison.Ordinal));
                    break;
            }
        }

        return words.Count == 0
            ? (null, $"the command template for image prefix '{entry.Key}' is empty")
            : (new ContainerCommand(words[0], words[1..]), null);
    }

    /// <summary>Splits a command line into words: whitespace separates, quotes group, backslash escapes outside single quotes.</summary>
    public static List<string> Split(string commandLine)
    {
        ArgumentNullException.ThrowIfNull(commandLine);
        var words = new List<string>();
        var current = new StringBuilder();
        var inWord = false;
        char quote = '\0';
        for (var i = 0; i < commandLine.Length; i++)
        {
            var c = commandLine[i];
            if (quote == '\'')
            {
                if (c == '\'')
                {
                    quote = '\0';
                }
                else
                {
                    current.Append(c);
                }
            }
            else if (c == '\\' && i + 1 < commandLine.Length)
            {
                current.Append(commandLine[++i]);
                inWord = true;
            }
            else if (quote == '"')
            {
                if (c == '"')
                {
                    quote = '\0';
                }
                else
                {
                    current.Append(c);
                }
            }
            else if (c is '\'' or '"')
            {
                quote = c;
                inWord = true;
            }
            else if (char.IsWhiteSpace(c))
            {
                if (inWord)
                {
                    words.Add(current.ToString());
                    current.Clear();
                    inWord = false;
                }
            }
            else
            {
                current.Append(c);
                inWord = true;
            }
        }

        if (inWord)
        {
            words.Add(current.ToString());
        }

        return words;
    }
}
