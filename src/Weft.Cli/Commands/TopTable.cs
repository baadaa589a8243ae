using System.Globalization;
using System.Text;
using Weft.Discovery.V1;

namespace Weft.Cli.Commands;

/// <summary><c>weft top</c>'s rows: one per (source, destination, method, path), with its latencies and successes.</summary>
internal sealed class TopTable
{
    private readonly Dictionary<(string Source, string Destination, string Method, string Path), Row> _rows = [];

    /// <summary>Requests counted so far.</summary>
    public long Count { get; private set; }

    public void Add(TapEvent e)
    {
        Count++;
        // A request chose its method, authority (the destination of a call to no Service) and path: escaped for the terminal.
        var key = (TerminalText.Escape(TapTarget.Source(e)), TerminalText.Escape(TapTarget.Destination(e)), TerminalText.Escape(e.Method), TerminalText.Escape(e.Path));
        if (!_rows.TryGetValue(key, out var row))
        {
            _rows[key] = row = new Row { Best = long.MaxValue };
        }

        row.Count++;
        row.Best = Math.Min(row.Best, e.LatencyMicros);
        row.Worst = Math.Max(row.Worst, e.LatencyMicros);
        row.Last = e.LatencyMicros;
        // Success as linkerd counts it: an answer that is not a 5xx (and not no answer at all).
        row.Successes += e.Status is > 0 and < 500 ? 1 : 0;
    }

    public string Render(int rows)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{"SOURCE",-28} {"DESTINATION",-28} {"METHOD",-7} {"PATH",-28} {"COUNT",6} {"BEST",10} {"WORST",10} {"LAST",10} {"SUCCESS",8}\n");
        foreach (var ((source, destination, method, path), row) in _rows.OrderByDescending(r => r.Value.Count).ThenBy(r => r.Key.Path, StringComparer.Ordinal).Take(rows))
        {
            var success = StatTable.SuccessText(row.Successes, row.Count);
            text.Append(CultureInfo.InvariantCulture,
                $"{source,-28} {destination,-28} {method,-7} {path,-28} {row.Count,6} {TapCommand.Milliseconds(row.Best),10} {TapCommand.Milliseconds(row.Worst),10} {TapCommand.Milliseconds(row.Last),10} {success,8}\n");
        }

        return text.ToString();
    }

    private sealed class Row
    {
        public long Count;
        public long Best;
        public long Worst;
        public long Last;
        public long Successes;
    }
}
