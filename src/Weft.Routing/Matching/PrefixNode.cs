namespace Weft.Routing.Matching;

/// <summary>
/// A node of the path-segment trie that indexes PathPrefix rules (gamma-spec E3, element-wise). Walking a request path
/// down the trie visits exactly the prefixes that match it, the deepest (longest, E1 step 2) last.
/// </summary>
internal sealed class PrefixNode
{
    private Dictionary<string, PrefixNode>? _children;
    private Dictionary<string, PrefixNode>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private List<int>? _building = [];

    public PrefixNode(PrefixNode? parent) => Parent = parent;

    public PrefixNode? Parent { get; }

    /// <summary>Indexes into the policy's rules whose prefix ends here, ascending.</summary>
    public int[] Rules { get; private set; } = [];

    public bool HasChildren => _children is not null;

    public PrefixNode GetOrAdd(string segment)
    {
        _children ??= new Dictionary<string, PrefixNode>(StringComparer.Ordinal);
        if (!_children.TryGetValue(segment, out var child))
        {
            child = new PrefixNode(this);
            _children.Add(segment, child);
        }

        return child;
    }

    public void Add(int rule) => _building!.Add(rule);

    public bool TryGetChild(ReadOnlySpan<char> segment, out PrefixNode child) => _lookup.TryGetValue(segment, out child!);

    /// <summary>Freezes the node and its subtree.</summary>
    public void Seal()
    {
        _building!.Sort();
        Rules = [.. _building];
        _building = null;
        if (_children is not null)
        {
            _lookup = _children.GetAlternateLookup<ReadOnlySpan<char>>();
            foreach (var child in _children.Values)
            {
                child.Seal();
            }
        }
    }
}
