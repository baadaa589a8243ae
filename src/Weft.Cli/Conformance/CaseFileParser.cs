using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Weft.Cli.Conformance;

/// <summary>Reads conformance case files (shared/conformance/cases/SCHEMA.md); paths in them are relative to the file.</summary>
internal static class CaseFileParser
{
    /// <summary>Every case file in <paramref name="directory"/> (*.yaml, *.yml), sorted by name.</summary>
    public static IReadOnlyList<ConformanceTest> ParseDirectory(string directory)
    {
        var files = Directory.EnumerateFiles(directory)
            .Where(f => f.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".yml", StringComparison.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal);
        return [.. files.Select(ParseFile)];
    }

    public static ConformanceTest ParseFile(string path)
    {
        var full = Path.GetFullPath(path);
        return Parse(File.ReadAllText(full), full);
    }

    /// <exception cref="FormatException">The file is not a valid case file; the message names the file and line.</exception>
    public static ConformanceTest Parse(string yaml, string file)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            throw new FormatException($"{file}:{e.Start.Line}: {e.Message}", e);
        }

        if (stream.Documents.Count != 1 || stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            throw new FormatException($"{file}: expected one YAML document with a mapping at the top");
        }

        var directory = Path.GetDirectoryName(file) ?? ".";
        var reader = new NodeReader(file);
        var cases = reader.Sequence(root, "cases", required: true).Select(n => ParseCase(reader, reader.Mapping(n, "cases[]"))).ToList();
        var duplicate = cases.GroupBy(c => c.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new FormatException($"{file}: case name '{duplicate.Key}' is used twice");
        }

        return new ConformanceTest
        {
            Name = reader.String(root, "name", required: true)!,
            Description = reader.String(root, "description") ?? "",
            Features = reader.Strings(root, "features"),
            Provisional = reader.Bool(root, "provisional") ?? false,
            File = file,
            Base = Path.GetFullPath(Path.Combine(directory, reader.String(root, "base", required: true)!)),
            Manifests = [.. reader.Strings(root, "manifests").Select(m => Path.GetFullPath(Path.Combine(directory, m)))],
            Cases = cases,
        };
    }

    private static ConformanceCase ParseCase(NodeReader reader, YamlMappingNode node)
    {
        var name = reader.String(node, "name", required: true)!;
        var from = reader.String(node, "from", required: true)!;
        var slash = from.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || slash == from.Length - 1)
        {
            throw reader.Error(node, $"case {name}: from must be namespace/deployment, not '{from}'");
        }

        var request = reader.Mapping(reader.Child(node, "request", required: true)!, "request");
        var expect = reader.Mapping(reader.Child(node, "expect", required: true)!, "expect");
        var count = reader.Int(node, "count") ?? 1;
        if (count < 1)
        {
            throw reader.Error(node, $"case {name}: count must be at least 1");
        }

        CaseTarget? target = null;
        if (reader.Child(request, "target") is { } targetNode)
        {
            var t = reader.Mapping(targetNode, "target");
            var kind = reader.String(t, "kind", required: true)!;
            if (kind is not (CaseTarget.ClusterIP or CaseTarget.PodIP))
            {
                throw reader.Error(t, $"case {name}: target.kind must be ClusterIP or PodIP, not '{kind}'");
            }

            target = new CaseTarget(kind, reader.String(t, "name", required: true)!, reader.Int(t, "port", required: true)!.Value);
        }

        var url = reader.String(request, "url", required: true)!;
        if (!url.StartsWith("http://", StringComparison.Ordinal) && !url.StartsWith("grpc://", StringComparison.Ordinal))
        {
            throw reader.Error(request, $"case {name}: url must start with http:// or grpc://, not '{url}'");
        }

        Dictionary<string, double>? distribution = null;
        if (reader.Child(expect, "distribution") is { } distributionNode)
        {
            distribution = new Dictionary<string, double>(StringComparer.Ordinal);
            foreach (var (key, value) in reader.Mapping(distributionNode, "distribution").Children)
            {
                distribution[reader.Scalar(key, "distribution key")] = reader.Double(value, "distribution share");
            }
        }

        return new ConformanceCase
        {
            Name = name,
            From = from,
            Count = count,
            Request = new CaseRequest
            {
                Url = url,
                Method = reader.String(request, "method") ?? "GET",
                Headers = reader.Pairs(request, "headers"),
                Target = target,
            },
            Expect = new CaseExpectation
            {
                Status = reader.Child(expect, "status") is { } status
                    ? status is YamlSequenceNode list ? [.. list.Children.Select(s => reader.Scalar(s, "status"))] : [reader.Scalar(status, "status")]
                    : ["200"],
                Backend = reader.String(expect, "backend"),
                Path = reader.String(expect, "path"),
                Location = reader.String(expect, "location"),
                RequestHeaders = reader.Pairs(expect, "requestHeaders"),
                AbsentRequestHeaders = reader.Strings(expect, "absentRequestHeaders"),
                ResponseHeaders = reader.Pairs(expect, "responseHeaders"),
                AbsentResponseHeaders = reader.Strings(expect, "absentResponseHeaders"),
                Distribution = distribution,
                Tolerance = reader.Child(expect, "tolerance") is { } tolerance ? reader.Double(tolerance, "tolerance") : 0.05,
            },
        };
    }

    private sealed class NodeReader(string file)
    {
        public FormatException Error(YamlNode node, string message) => new($"{file}:{node.Start.Line}: {message}");

        public YamlNode? Child(YamlMappingNode node, string key, bool required = false)
        {
            if (node.Children.TryGetValue(new YamlScalarNode(key), out var child) && !IsNull(child))
            {
                return child;
            }

            return required ? throw Error(node, $"missing field '{key}'") : null;
        }

        public YamlMappingNode Mapping(YamlNode node, string what) =>
            node as YamlMappingNode ?? throw Error(node, $"{what} must be a mapping");

        public string Scalar(YamlNode node, string what) =>
            node is YamlScalarNode { Value: { } value } ? value : throw Error(node, $"{what} must be a scalar");

        public string? String(YamlMappingNode node, string key, bool required = false) =>
            Child(node, key, required) is { } child ? Scalar(child, key) : null;

        public int? Int(YamlMappingNode node, string key, bool required = false) =>
            String(node, key, required) is { } text
                ? int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : throw Error(node, $"{key} must be an integer, not '{text}'")
                : null;

        public bool? Bool(YamlMappingNode node, string key) =>
            String(node, key) is { } text
                ? bool.TryParse(text, out var b) ? b : throw Error(node, $"{key} must be true or false, not '{text}'")
                : null;

        public double Double(YamlNode node, string what)
        {
            var text = Scalar(node, what);
            return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : throw Error(node, $"{what} must be a number, not '{text}'");
        }

        public List<YamlNode> Sequence(YamlMappingNode node, string key, bool required = false) =>
            Child(node, key, required) switch
            {
                null => [],
                YamlSequenceNode sequence => sequence.Children.ToList(),
                var other => throw Error(other, $"{key} must be a list"),
            };

        public IReadOnlyList<string> Strings(YamlMappingNode node, string key) =>
            [.. Sequence(node, key).Select(n => Scalar(n, key))];

        /// <summary>A list of [name, value] pairs.</summary>
        public IReadOnlyList<KeyValuePair<string, string>> Pairs(YamlMappingNode node, string key) =>
            [.. Sequence(node, key).Select(n => n is YamlSequenceNode { Children.Count: 2 } pair
                ? new KeyValuePair<string, string>(Scalar(pair.Children[0], key), Scalar(pair.Children[1], key))
                : throw Error(n, $"each entry of {key} must be a [name, value] pair"))];

        private static bool IsNull(YamlNode node) =>
            node is YamlScalarNode { Value: null or "" or "~" or "null", Style: YamlDotNet.Core.ScalarStyle.Plain };
    }
}
