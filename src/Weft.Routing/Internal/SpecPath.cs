using System.Globalization;
using System.Text;

namespace Weft.Routing.Internal;

/// <summary>
/// Where the route analyser is in a route's spec, such as <c>rules[0] ("name").matches[1].headers</c>: a stack of
/// segments, written out only when a problem names the place. Every route is analysed when a model is built, and again
/// when an update touches it; nearly every route has no problem, so a path built as a string for each rule, match,
/// filter and backend up front was garbage on every analysis, and collections of a model that is all survivors are
/// costly.
/// </summary>
internal sealed class SpecPath
{
    private readonly List<(string Name, int Index, string? Label)> _segments = [];

    /// <summary>
    /// Goes into <paramref name="name"/> (".matches", or "rules" at the top), with an <paramref name="index"/> when not
    /// negative and a rule's name as <paramref name="label"/>, until the returned scope is disposed.
    /// </summary>
    public Scope Enter(string name, int index = -1, string? label = null)
    {
        _segments.Add((name, index, label));
        return new Scope(this, _segments.Count - 1);
    }

    /// <summary>The path as a problem's message names it.</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        foreach (var (name, index, label) in _segments)
        {
            text.Append(name);
            if (index >= 0)
            {
                text.Append('[').Append(index.ToString(CultureInfo.InvariantCulture)).Append(']');
            }

            if (label is not null)
            {
                text.Append(" (\"").Append(label).Append("\")");
            }
        }

        return text.ToString();
    }

    /// <summary>Leaves the segment entered, and any entered after it, when disposed (nothing when already left).</summary>
    public readonly struct Scope(SpecPath path, int depth) : IDisposable
    {
        public void Dispose()
        {
            if (depth < path._segments.Count)
            {
                path._segments.RemoveRange(depth, path._segments.Count - depth);
            }
        }
    }
}
