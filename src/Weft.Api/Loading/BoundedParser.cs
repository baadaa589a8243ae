using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Weft.Api.Loading;

/// <summary>
/// The YAML parser every manifest is read with: YamlDotNet's, held to the bounds a hostile file could break, so that
/// whatever the text, reading it ends in documents or a <see cref="YamlException"/> with a position.
/// <list type="bullet">
/// <item>Nesting is at most <see cref="MaxDepth"/> levels, aliases counted as what they stand for: the node tree is
/// built and walked by recursion, and a deeper file would overflow the stack (which no handler can catch).</item>
/// <item>Aliases may not make a document stand for more than <see cref="MaxAliasGrowth"/> times its written nodes
/// plus <see cref="AliasAllowance"/>: a "billion laughs" file of a few hundred bytes would otherwise be walked as
/// billions of nodes. An alias to a node still open (a recursive structure) or to an anchor not yet defined (YamlDotNet
/// resolves those, and two can make a cycle) is refused: JSON has no such thing.</item>
/// <item>An exception other than <see cref="YamlException"/> thrown while YamlDotNet's parser reads the text (its
/// scanner has such failures, e.g. <c>a: [b</c> then <c>c: d</c> on the next line) is a syntax error at the scanner's
/// position, its message kept. The parser reads a string and calls back into no Weft code, so nothing else can throw
/// there; an exception from Weft's own code passes on, as the bug it is.</item>
/// </list>
/// </summary>
internal sealed class BoundedParser : IParser
{
    /// <summary>The deepest nesting of mappings and sequences allowed (Kubernetes objects are a few dozen levels deep).</summary>
    public const int MaxDepth = 256;

    /// <summary>How many times its written nodes a document may stand for once its aliases are expanded.</summary>
    public const long MaxAliasGrowth = 10;

    /// <summary>Nodes that aliases may add to any document, however small.</summary>
    public const long AliasAllowance = 100_000;

    private readonly Scanner _scanner;
    private readonly Parser _parser;

    // One entry per open mapping or sequence: its expanded node count so far, the deepest level under it, its anchor,
    // how many nodes it holds directly.
    private readonly Stack<(long Nodes, int Depth, string? Anchor, int Children)> _open = new();
    private readonly Dictionary<string, (long Nodes, int Depth)> _anchors = new(StringComparer.Ordinal);
    private readonly HashSet<string> _openAnchors = new(StringComparer.Ordinal);
    private long _written;
    private long _expanded;

    public BoundedParser(string text)
    {
        _scanner = new Scanner(new StringReader(text));
        _parser = new Parser(_scanner);
    }

    public ParsingEvent? Current => _parser.Current;

    public bool MoveNext()
    {
        bool moved;
        try
        {
            moved = _parser.MoveNext();
        }
        catch (Exception e) when (e is not (YamlException or OutOfMemoryException))
        {
            var at = _scanner.CurrentPosition;
            throw new YamlException(at, at, "the YAML cannot be read on from here; the parser said:", e);
        }

        if (moved && _parser.Current is { } current)
        {
            Count(current);
        }

        return moved;
    }

    private void Count(ParsingEvent e)
    {
        switch (e)
        {
            case DocumentStart:
                _anchors.Clear();
                _openAnchors.Clear();
                _written = 0;
                _expanded = 0;
                break;
            case MappingStart or SequenceStart:
                var anchor = ((NodeEvent)e).Anchor is { IsEmpty: false } a ? a.Value : null;
                if (_open.Count + 1 > MaxDepth)
                {
                    throw new SyntaxErrorException(e.Start, e.End, $"the YAML nests deeper than {MaxDepth} levels");
                }

                if (anchor is not null)
                {
                    _openAnchors.Add(anchor);
                }

                _written++;
                Grow(e, 1);
                _open.Push((1, 0, anchor, 0));
                break;
            case MappingEnd or SequenceEnd:
                var (nodes, depth, name, children) = _open.Pop();
                if (e is MappingEnd && children % 2 != 0)
                {
                    // YamlDotNet's parser can end a mapping after a key (a NUL in a comment does it); its node builder
                    // then throws ArgumentException.
                    throw new SyntaxErrorException(e.Start, e.End, "a mapping key has no value here");
                }

                if (name is not null)
                {
                    _anchors[name] = (nodes, depth + 1);
                    _openAnchors.Remove(name);
                }

                AddToParent(nodes, depth + 1);
                break;
            case Scalar scalar:
                _written++;
                if (scalar.Anchor is { IsEmpty: false } scalarAnchor)
                {
                    _anchors[scalarAnchor.Value] = (1, 0);
                }

                Grow(e, 1);
                AddToParent(1, 0);
                break;
            case AnchorAlias alias:
                if (_openAnchors.Contains(alias.Value.Value))
                {
                    throw new SyntaxErrorException(e.Start, e.End, $"the alias *{alias.Value.Value} is inside the node it names (a recursive structure)");
                }

                if (_anchors.TryGetValue(alias.Value.Value, out var target))
                {
                    if (_open.Count + target.Depth > MaxDepth)
                    {
                        throw new SyntaxErrorException(e.Start, e.End, $"the alias *{alias.Value.Value} makes the YAML nest deeper than {MaxDepth} levels");
                    }

                    Grow(e, target.Nodes);
                    AddToParent(target.Nodes, target.Depth);
                }
                else
                {
                    // YAML 1.2 §7.1: an alias names an anchor before it. YamlDotNet resolves later ones too, and two
                    // such aliases can make a cycle that no walk of the tree ends.
                    throw new SyntaxErrorException(e.Start, e.End, $"the alias *{alias.Value.Value} names no anchor defined before it");
                }

                break;
        }
    }

    /// <summary>Counts nodes the document stands for; refuses when aliases make that too many for what is written.</summary>
    private void Grow(ParsingEvent e, long nodes)
    {
        _expanded = Math.Min(_expanded + nodes, long.MaxValue / 2);
        if (_expanded > AliasAllowance + (MaxAliasGrowth * _written))
        {
            throw new SyntaxErrorException(e.Start, e.End,
                $"aliases expand this document to more than {_expanded} nodes from {_written} written (at most {MaxAliasGrowth} times as many plus {AliasAllowance} are read; a \"billion laughs\" document)");
        }
    }

    private void AddToParent(long nodes, int depth)
    {
        if (_open.Count > 0)
        {
            var (parentNodes, parentDepth, anchor, children) = _open.Pop();
            _open.Push((Math.Min(parentNodes + nodes, long.MaxValue / 2), Math.Max(parentDepth, depth), anchor, children + 1));
        }
    }
}
