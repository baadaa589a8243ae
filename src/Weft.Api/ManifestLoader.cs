using Weft.Api.Loading;
using Weft.Api.Model;
using Weft.Api.Validation;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Weft.Api;

/// <summary>
/// Loads Kubernetes manifests (YAML, multi-document, or JSON) the way <c>kubectl apply -f</c> reads them:
/// maps the kinds Weft reads into <see cref="Model"/> records with the API server's defaults, rejects
/// objects that break the schema or a CRD validation rule, and skips other kinds.
/// </summary>
public static class ManifestLoader
{
    /// <summary>The file extensions of manifests in a directory.</summary>
    public static readonly IReadOnlyList<string> ManifestExtensions = [".yaml", ".yml", ".json"];

    /// <summary>Loads files and directories (recursively: *.yaml, *.yml, *.json, sorted by path).</summary>
    /// <param name="paths">Files and directories.</param>
    /// <param name="ignoredFileNames">File names in a directory that are not manifests (the local mode's weft-images.yaml); a file named directly is read.</param>
    /// <param name="specDigests">Give each object its <see cref="ObjectSource.SpecDigest"/> (a source that plays the API server and keeps generations).</param>
    public static LoadResult LoadPaths(IEnumerable<string> paths, IReadOnlySet<string>? ignoredFileNames = null, bool specDigests = false)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var collector = new Collector { SpecDigests = specDigests };
        foreach (var path in paths)
        {
            if (Directory.Exists(path))
            {
                List<string> files;
                try
                {
                    files = [.. Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories)
                        .Where(f => ManifestExtensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase))
                        .Where(f => ignoredFileNames?.Contains(Path.GetFileName(f)) != true)
                        .Order(StringComparer.Ordinal)];
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    collector.Unreadable(path, e.Message);
                    continue;
                }

                foreach (var file in files)
                {
                    LoadFile(file, collector);
                }
            }
            else
            {
                LoadFile(path, collector);
            }
        }

        return collector.ToResult();
    }

    /// <summary>Loads manifest text; <paramref name="fileName"/> is used in problems and <see cref="ObjectSource"/>.</summary>
    public static LoadResult LoadText(string text, string fileName)
    {
        ArgumentNullException.ThrowIfNull(text);
        var collector = new Collector();
        LoadText(text, fileName, collector);
        return collector.ToResult();
    }

    private static void LoadFile(string file, Collector collector)
    {
        string text;
        try
        {
            text = File.ReadAllText(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            collector.Unreadable(file, e is FileNotFoundException or DirectoryNotFoundException ? "no such file or directory" : e.Message);
            return;
        }

        LoadText(text, file, collector);
    }

    private static void LoadText(string text, string file, Collector collector)
    {
        var reader = new YamlDocumentReader(text);
        while (true)
        {
            YamlDocument? document;
            try
            {
                document = reader.Next();
            }
            catch (YamlException e)
            {
                // The documents before the error are kept; the broken one is dropped whole, and reading goes on at the next '---'.
                var line = (int)e.Start.Line;
                var message = e.InnerException is { } inner ? $"{e.Message} {inner.Message}" : e.Message;
                var resumed = reader.ResumeAfter(line);
                collector.Problems.Add(new ManifestProblem(ProblemKind.Syntax, file, line, (int)e.Start.Column, null, null, null, null,
                    resumed is { } next ? $"{message} (this document was not read; reading resumed at the '---' on line {next})" : message)
                {
                    Hint = "fix the YAML at that line (indentation, a missing ':' or an unclosed quote or bracket are the usual causes)",
                });
                continue;
            }

            if (document is null)
            {
                return;
            }

            LoadDocument(document, file, collector);
        }
    }

    private static void LoadDocument(YamlDocument document, string file, Collector collector)
    {
        switch (document.RootNode)
        {
            case YamlMappingNode root:
                LoadObject(root, file, collector);
                break;
            case YamlScalarNode scalar when MappingReader.IsNull(scalar):
                break; // an empty document, e.g. after a trailing '---'
            default:
                collector.Problems.Add(new ManifestProblem(ProblemKind.Invalid, file, (int)document.RootNode.Start.Line, null, null, null, null, null,
                    "Invalid value: the document is not an object")
                {
                    Hint = "each YAML document must be a mapping with apiVersion, kind, metadata and (usually) spec",
                });
                break;
        }
    }

    private static void LoadObject(YamlMappingNode node, string file, Collector collector)
    {
        var lines = new Dictionary<string, int>(StringComparer.Ordinal);
        var root = new MappingReader(node, "", lines);
        string? apiVersion, kind, name, ns;
        try
        {
            apiVersion = root.String("apiVersion");
            kind = root.String("kind");
            var meta = root.Map("metadata");
            name = meta?.String("name");
            ns = meta?.String("namespace");
        }
        catch (FieldTypeException e)
        {
            collector.Problems.Add(Problem(e, file, null, null, null));
            return;
        }

        if (string.IsNullOrEmpty(apiVersion) || string.IsNullOrEmpty(kind))
        {
            var missing = string.IsNullOrEmpty(apiVersion) ? "apiVersion" : "kind";
            collector.Problems.Add(new ManifestProblem(ProblemKind.Invalid, file, root.Line, null, kind, KnownKinds.DisplayNamespace(kind, ns), name, missing, $"Required value: {missing} not set")
            {
                Hint = "every object needs apiVersion and kind, e.g. apiVersion: gateway.networking.k8s.io/v1 and kind: HTTPRoute",
            });
            return;
        }

        // kind: List (what kubectl get -o yaml prints) holds objects in items.
        if (kind == "List" && apiVersion == "v1")
        {
            try
            {
                foreach (var item in ItemNodes(root))
                {
                    LoadObject(item, file, collector);
                }
            }
            catch (FieldTypeException e)
            {
                collector.Problems.Add(Problem(e, file, kind, ns, name));
            }

            return;
        }

        var type = KnownKinds.Find(kind, apiVersion);
        if (type is null)
        {
            if (KnownKinds.NotServed(kind, apiVersion) is { } notServed)
            {
                collector.Problems.Add(new ManifestProblem(ProblemKind.Invalid, file, root.Line, null, kind, KnownKinds.DisplayNamespace(kind, ns), name, null, notServed.Message) { Hint = notServed.Hint });
                return;
            }

            collector.Skipped.Add(new SkippedObject(kind, apiVersion, name, file, root.Line));
            return;
        }

        var displayNs = type.Namespaced ? (string.IsNullOrEmpty(ns) ? "default" : ns) : null;
        var problems = new List<ManifestProblem>();

        // Strict field validation, kubectl apply's default (--validate=strict): an unknown field rejects the object.
        foreach (var unknown in type.Fields.FindUnknown(node))
        {
            problems.Add(new ManifestProblem(ProblemKind.Invalid, file, unknown.Line, unknown.Column, kind, displayNs, name, unknown.Path, unknown.Message)
            {
                Hint = unknown.Hint,
            });
        }

        KubeObject? obj = null;
        try
        {
            var meta = CoreObjectMapper.Metadata(root, type.Namespaced);
            obj = type.Map(root, apiVersion, meta) with { Source = new ObjectSource(file, root.Line, lines) { SpecDigest = collector.SpecDigests ? SpecDigest.Of(node) : "" } };
        }
        catch (FieldTypeException e)
        {
            problems.Add(Problem(e, file, kind, displayNs, name));
        }

        if (obj is not null)
        {
            foreach (var error in CrdValidator.Validate(obj))
            {
                problems.Add(new ManifestProblem(ProblemKind.Invalid, file, obj.Source.LineOf(error.Path), null, kind, displayNs, obj.Name, error.Path, error.Message)
                {
                    Hint = error.Hint,
                });
            }
        }

        if (problems.Count == 0 && obj is not null)
        {
            collector.Objects.Add(obj);
        }

        collector.Problems.AddRange(problems);
    }

    private static List<YamlMappingNode> ItemNodes(MappingReader list)
    {
        var items = new List<YamlMappingNode>();
        list.List("items", item =>
        {
            items.Add(item.Node);
            return 0;
        });
        return items;
    }

    private static ManifestProblem Problem(FieldTypeException e, string file, string? kind, string? ns, string? name) =>
        new(ProblemKind.Invalid, file, e.Line, e.Column, kind, ns, name, e.FieldPath, e.Message) { Hint = e.Hint };

    private sealed class Collector
    {
        public bool SpecDigests { get; init; }
        public List<KubeObject> Objects { get; } = [];
        public List<ManifestProblem> Problems { get; } = [];
        public List<SkippedObject> Skipped { get; } = [];

        public void Unreadable(string path, string message) =>
            Problems.Add(new ManifestProblem(ProblemKind.Unreadable, path, 0, null, null, null, null, null, message)
            {
                Hint = "check that the path exists and is readable",
            });

        public LoadResult ToResult() => new(Objects, Problems, Skipped);
    }
}
